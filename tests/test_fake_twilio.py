"""The fake Twilio is only as good as its fidelity: what Twilio would refuse, it refuses."""

import socket
import time
from urllib.parse import urlsplit

from tests.fake_twilio import FakeTwilio


def test_a_request_cut_off_before_its_body_ends_is_no_message():
    # given a client that dies after the headers (a worker killed mid-send)
    with FakeTwilio() as fake:
        address = urlsplit(fake.url)
        with socket.create_connection((address.hostname, address.port)) as client:
            client.sendall(
                b"POST /2010-04-01/Accounts/AC1/Messages.json HTTP/1.1\r\n"
                b"Host: fake\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 40\r\n\r\nTo=%2B316"
            )
        time.sleep(0.2)  # the server thread reads to the end of what came

        # then the provider has no message
        assert fake.messages == []


def test_a_message_without_a_recipient_is_refused_with_twilio_s_code():
    with FakeTwilio() as fake:
        status, payload = fake.create({"From": "Club", "Body": "Hi"})

    assert (status, payload["code"]) == (400, 21604)
    assert fake.messages == []
