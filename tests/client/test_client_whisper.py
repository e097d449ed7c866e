"""Whispers as Twitch does them today: sent through Helix, received over IRC as WHISPER."""
from __future__ import annotations

import pytest

from recorder.client.errors import HTTPException, InvalidContent


async def test_whisper_sent_through_helix_reaches_the_recipient(sim, make_client, run_client):
    sender_token = sim.oauth.issue_user_token("whisper_bot", scopes=("user:manage:whispers",),
                                              client_id=sim.client_id)
    receiver_token = sim.oauth.issue_user_token("whisper_fan", scopes=("chat:read",),
                                                client_id=sim.client_id)
    sender, _ = make_client(sim, sender_token, initial_channels=[])
    receiver, _ = make_client(sim, receiver_token, initial_channels=[])
    run_client(sender)
    run_client(receiver)
    await sender.wait_for_ready()
    await receiver.wait_for_ready()

    await sender.send_whisper(sender_token, sender.user_id, receiver.user_id, "psst Kappa")
    (whisper,) = await receiver.wait_for("whisper", timeout=10)
    assert (whisper.from_login, whisper.to_login, whisper.text) == ("whisper_bot", "whisper_fan", "psst Kappa")
    assert whisper.from_user_id == sender.user_id
    assert [(e.start, e.end) for e in whisper.emotes] == [(5, 9)]
    assert sim.helix.whispers[-1]["message"] == "psst Kappa"

    with pytest.raises(InvalidContent):
        await sender.send_whisper(sender_token, sender.user_id, receiver.user_id, "")
    with pytest.raises(HTTPException) as info:  # a token without the scope is refused by Twitch
        await receiver.send_whisper(receiver_token, receiver.user_id, sender.user_id, "hi")
    assert info.value.status == 401
