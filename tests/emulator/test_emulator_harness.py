"""The harness and the HTTPS receiver that other test suites build on."""

from __future__ import annotations

import requests
from onence_emulator.harness import EmulatorProcess
from onence_emulator.receiver import HttpsReceiver


def test_emulator_prints_its_base_url_and_serves_the_api(emulator: EmulatorProcess) -> None:
    assert emulator.base_url.startswith("http://127.0.0.1:")
    assert emulator.base_url.endswith("/management-api")
    response = requests.get(emulator.base_url + "/v1/integrate/clouds", timeout=10)
    assert response.status_code == 401


def test_receiver_records_posts_over_verified_tls(receiver: HttpsReceiver) -> None:
    response = requests.post(
        receiver.url + "/hook?a=1",
        json={"hello": "world"},
        headers={"x-api-key": "k"},
        verify=receiver.ca_pem,
        timeout=10,
    )
    assert response.status_code == 200
    assert receiver.wait_for(1, timeout=5)
    record = receiver.requests[0]
    assert (record.path, record.query, record.json) == ("/hook", "a=1", {"hello": "world"})
    assert record.header("X-API-KEY") == "k"
    assert record.headers["X-Api-Key"] == "k"


def test_receiver_answers_otherwise_on_the_paths_it_is_told(receiver: HttpsReceiver) -> None:
    receiver.status_by_path["/down"] = 503

    down = requests.post(receiver.url + "/down", json={}, verify=receiver.ca_pem, timeout=5)
    up = requests.post(receiver.url + "/up", json={}, verify=receiver.ca_pem, timeout=5)

    assert (down.status_code, up.status_code) == (503, 200)
    assert [r.path for r in receiver.requests] == ["/down", "/up"]


def test_receiver_stop_and_start_keep_the_port(receiver: HttpsReceiver) -> None:
    url = receiver.url
    receiver.stop()
    try:
        requests.post(url, json={}, verify=receiver.ca_pem, timeout=5)
        refused = False
    except requests.ConnectionError:
        refused = True
    assert refused
    receiver.start()
    assert receiver.url == url
    assert requests.post(url, json={}, verify=receiver.ca_pem, timeout=5).status_code == 200
