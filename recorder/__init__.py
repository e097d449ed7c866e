"""recorder: an event-sourced Twitch chat recorder and analytics pipeline."""

__version__ = "0.1.0"
