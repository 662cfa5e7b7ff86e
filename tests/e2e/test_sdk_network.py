"""The official client's network calls against a real `loupe` (GET/PATCH /network)."""


def test_networks_through_the_client(client):
    client.update_experimental_features({"network": True})
    try:
        body = {"self": "remote_1", "remotes": {
            "remote_1": {"url": "http://localhost:7700", "searchApiKey": "xxxxxxxxxxxxxx"},
            "remote_2": {"url": "http://localhost:7720", "searchApiKey": "xxxxxxxxxxxxxxx"}}}
        response = client.add_or_update_networks(body=body)
        assert response["self"] == "remote_1" and len(response["remotes"]) == 2
        assert response["remotes"]["remote_2"] == {"url": "http://localhost:7720", "searchApiKey": "xxxxxxxxxxxxxxx",
                                                   "writeApiKey": None}
        assert client.get_all_networks() == response
    finally:
        client.add_or_update_networks(body={"self": None, "remotes": None})
        client.update_experimental_features({"network": False})
