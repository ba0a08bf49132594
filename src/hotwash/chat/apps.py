from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    """Chat platforms as another front end on the service functions: an
    incident's own conversation, commands, the timeline from the
    conversation, and who is who. Platform-neutral; Slack and Microsoft
    Teams are integrations (hotwash/integrations/slack, .../teams) that
    fill `platforms`. docs/chat.md."""

    name = "hotwash.chat"
    label = "chat"
    verbose_name = _("Chat")
