"""Chit-chat: greetings, thanks, goodbyes and "who are you" are not questions about the
documents. Quoting a sentence that happens to share "cảm ơn" or "bạn" with them misleads,
so the answerer abstains and offers a short conversational reply instead, which the bot and
`hoidap chat` show; `hoidap ask` prints only the abstention.

Only a message that is chit-chat as a whole counts ("Cảm ơn nhé", "xin chao ban"): "Ai cảm
ơn Bộ Ngoại giao?" is a question. Matched folded and lowercased, so typing without
diacritics works alike.
"""

import re

from retrieval.normalize import fold, normalize

# Words around the chit-chat itself that change nothing: particles, "bạn", the bot's name.
_SOFTENERS = r"(?:\s+(?:nhe|nha|nhieu|a|ban|bot|hoidap|nhe ban|nha ban|rat nhieu|lam|nhe a))*"
_CHAT = {
    "greeting": r"(?:xin chao|chao|chao ban|hello|hi|helo|alo|hey|chao buoi (?:sang|chieu|toi))",
    "thanks": r"(?:cam on|cam on ban|thank you|thanks|thank|tks|thanks you|ok cam on)",
    "goodbye": r"(?:tam biet|bye|bye bye|goodbye|hen gap lai|chao tam biet)",
    "identity": (
        r"(?:ban la ai|ban la gi|ban ten (?:la )?gi|ban ten la chi|may la ai|"
        r"ban lam duoc gi|ban co the lam gi|ban giup duoc gi|who are you)"
    ),
}
_PATTERNS = {kind: re.compile(rf"^{body}{_SOFTENERS}$") for kind, body in _CHAT.items()}

REPLIES = {
    "greeting": (
        "Xin chào! Tôi trả lời câu hỏi bằng những câu trích nguyên văn từ tài liệu, kèm nguồn. "
        "Bạn muốn hỏi gì về nội dung tài liệu?"
    ),
    "thanks": "Không có gì! Bạn cứ hỏi tiếp nếu cần.",
    "goodbye": "Tạm biệt bạn! Hẹn gặp lại.",
    "identity": (
        "Tôi là hoidap, trợ lý hỏi đáp trên các tài liệu đã nạp: tôi trả lời bằng những câu "
        "trích nguyên văn, kèm nguồn, và nói rõ khi tài liệu không có câu trả lời."
    ),
}


def chitchat_reply(message: str) -> str | None:
    """The conversational reply when `message` as a whole is chit-chat, else None."""
    words = re.findall(r"[^\W_]+", fold(normalize(message)).lower())
    text = " ".join(words)
    for kind, pattern in _PATTERNS.items():
        if pattern.match(text):
            return REPLIES[kind]
    return None


__all__ = ["REPLIES", "chitchat_reply"]
