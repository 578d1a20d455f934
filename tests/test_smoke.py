from django.urls import reverse


def test_client_list_shows_care_team_clients_to_their_therapist(client_record, staff, login):
    response = login(staff["therapist"]).get(reverse("clients:list"))
    assert response.status_code == 200
    assert "Ashby" in response.content.decode()
