"""A small archive about one user (victim_x, id 4242, formerly old_vic) and a bystander."""
from __future__ import annotations

TS = "tmi-sent-ts=1700000000000"
V = ":victim_x!victim_x@victim_x.tmi.twitch.tv"
B = ":bystander!bystander@bystander.tmi.twitch.tv"

#: Lines that belong to the victim: author, target, subject, or an unparseable line naming them.
VICTIM_LINES = [
    f"@badge-info=;badges=;color=#FF0000;display-name=Victim_X;emotes=25:0-4;id=m-v1;mod=0;"
    f"room-id=1000;subscriber=0;{TS};turbo=0;user-id=4242;user-type= {V} PRIVMSG #chan "
    f":Kappa secret words one",
    f"@display-name=old_vic;emotes=;id=m-v2;room-id=1000;{TS};user-id=4242 "
    f":old_vic!old_vic@old_vic.tmi.twitch.tv PRIVMSG #chan :secret words two",
    f"@badge-info=;badges=;display-name=Victim_X;id=n-v3;login=victim_x;msg-id=sub;"
    f"msg-param-cumulative-months=1;msg-param-sub-plan=1000;room-id=1000;"
    f"system-msg=Victim_X\\ssubscribed;{TS};user-id=4242 :tmi.twitch.tv USERNOTICE #chan "
    f":secret words three",
    f"@display-name=Bystander;id=n-v4;login=bystander;msg-id=subgift;"
    f"msg-param-recipient-display-name=Victim_X;msg-param-recipient-id=4242;"
    f"msg-param-recipient-user-name=victim_x;msg-param-sub-plan=1000;room-id=1000;"
    f"system-msg=Bystander\\sgifted\\sa\\ssub;{TS};user-id=777 :tmi.twitch.tv USERNOTICE #chan",
    f"@room-id=1000;target-user-id=4242;{TS} :tmi.twitch.tv CLEARCHAT #chan :victim_x",
    f"@ban-duration=600;room-id=1000;target-user-id=4242;{TS} :tmi.twitch.tv CLEARCHAT #chan :victim_x",
    f"@login=victim_x;room-id=;target-msg-id=m-v1;{TS} :tmi.twitch.tv CLEARMSG #chan "
    f":Kappa secret words one",
    f"{V} JOIN #chan",
    f"{V} PART #chan",
    f"@badges=;color=;display-name=Victim_X;emotes=;message-id=1;thread-id=777_4242;turbo=0;"
    f"user-id=4242;user-type= {V} WHISPER recorderbot :secret words whisper",
    f"@display-name=Bystander;emotes=;id=m-v11;reply-parent-display-name=Victim_X;"
    f"reply-parent-msg-body=secret\\swords\\sone;reply-parent-msg-id=m-v1;"
    f"reply-parent-user-id=4242;reply-parent-user-login=victim_x;room-id=1000;{TS};user-id=777 "
    f"{B} PRIVMSG #chan :@Victim_X agreed",
    ":recorderbot.tmi.twitch.tv 353 recorderbot = #chan :victim_x bystander",
    "@id=zzz;user-id=4242 :victim_x!victim_x@victim_x.tmi.twitch.tv",
    "@msg-id=timeout_success;target-user-id=4242 :tmi.twitch.tv NOTICE #chan "
    ":victim_x has been timed out",
]

#: Lines that stay: other people, room state, a mere @mention in someone else's text.
KEPT_LINES = [
    f"@display-name=Bystander;emotes=;id=m-k1;room-id=1000;{TS};user-id=777 {B} PRIVMSG #chan "
    f":hello all",
    f"@display-name=Bystander;emotes=;id=m-k2;room-id=1000;{TS};user-id=777 {B} PRIVMSG #chan "
    f":hey @victim_x where are you",
    "@emote-only=0;room-id=1000;slow=0 :tmi.twitch.tv ROOMSTATE #chan",
    f"{B} JOIN #chan",
    "@a=b",
]

MENTION = KEPT_LINES[1]
