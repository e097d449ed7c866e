"""The Twitch client: IRC over websocket (a pool of connections) and Helix.

    from recorder.client import Client, RawLine, ConnectionEvent
"""

from .client import Client, MAX_MESSAGE_LENGTH
from .errors import (AuthenticationError, EchoMessageWarning, HTTPException, InvalidContent,
                     IRCCooldownError, JoinFailed, NoClientID, NoToken, TwitchIOException,
                     Unauthorized)
from .models import Channel, Chatter, ConnectionEvent, Message, PartialChatter, RawLine

__all__ = ["Client", "MAX_MESSAGE_LENGTH", "RawLine", "ConnectionEvent", "Channel", "Chatter",
           "PartialChatter", "Message", "TwitchIOException", "AuthenticationError",
           "InvalidContent", "IRCCooldownError", "EchoMessageWarning", "NoClientID", "NoToken",
           "JoinFailed", "HTTPException", "Unauthorized"]
