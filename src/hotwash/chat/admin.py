from django.contrib import admin

from hotwash.chat.models import ChatConversation, ChatIdentity, ChatMessageEntry


@admin.register(ChatConversation)
class ChatConversationAdmin(admin.ModelAdmin[ChatConversation]):
    list_display = ("incident", "platform", "name", "conversation_id", "private", "opened_at")
    list_filter = ("platform", "private")
    search_fields = ("name", "conversation_id")
    raw_id_fields = ("incident",)
    readonly_fields = ("created_at", "opened_at", "requested_by")


@admin.register(ChatIdentity)
class ChatIdentityAdmin(admin.ModelAdmin[ChatIdentity]):
    list_display = ("user", "platform", "external_id", "display_name", "linked_by", "linked_at")
    list_filter = ("platform", "linked_by")
    search_fields = ("user__username", "user__email", "external_id", "display_name")
    raw_id_fields = ("user",)


@admin.register(ChatMessageEntry)
class ChatMessageEntryAdmin(admin.ModelAdmin[ChatMessageEntry]):
    list_display = ("conversation", "message_id", "entry", "created_at")
    raw_id_fields = ("conversation", "entry")
