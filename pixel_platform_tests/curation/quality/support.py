"""Conversations shared by the quality tests: good English and Chinese, and degenerate text."""

from __future__ import annotations

from pixel_platform.core.record import Conversation

GOOD_EN = (
    "I've been feeling anxious about work lately and I can't sleep. My manager keeps adding"
    " tasks and I don't know how to say no without looking lazy or ungrateful to the team.",
    "That sounds exhausting, and it makes sense that sleep suffers when work feels endless."
    " Saying no can feel risky when you worry about how you're seen. What happens in your body"
    " when you imagine telling your manager that you're at capacity right now?",
    "My chest gets tight and my mind races. I guess I'm scared they'll think I'm not good"
    " enough, and that I'll be the first one let go if there are layoffs this year.",
    "That fear of not being good enough is worth paying attention to. One small step could be"
    " to list your current tasks and ask your manager which ones matter most this week. That"
    " frames it as prioritising, not refusing, and it gives you information too.",
)

# Two more turns: with GOOD_EN, a ~1.4 KB record, the size the throughput goal is stated for.
MORE_EN = (
    "I could try that. I just worry she'll be annoyed that I'm asking at all.",
    "It's understandable to worry about that. Most managers would rather hear about a problem"
    " early than find out when a deadline slips. How might you open the conversation?",
)

# SoulChat-like simplified Chinese counselling (original writing).
GOOD_ZH = (
    "我最近一直在准备考研，压力特别大，每天都很焦虑，晚上根本睡不着。",
    "听起来你一直在很努力地坚持，同时也背负着很重的期待。考试临近的时候感到紧张是很正常的，"
    "你的身体在提醒你这件事对你很重要。你平时一天的学习安排是怎样的？",
    "每天从早上八点学到晚上十一点，但是效率很低，坐在书桌前就开始发呆。",
    "可以试着把复习任务拆成很小的部分，比如每次专注二十五分钟，然后休息五分钟。焦虑上来的时候，"
    "可以慢慢地深呼吸：吸气四秒，屏住两秒，再慢慢呼气六秒。",
)

DEGENERATE = (
    "help help help help\nhelp help help help\nhelp help help help",
    "ok",
    "&nbsp;&nbsp;<div>â€™â€™ Ã© \ufffd http://x.example.org/a/b/c/d/e/f</div>",
    "ok",
    "help help help help\nhelp help help help",
    "yes",
)


def conv(*turns: str, n: int = 0) -> Conversation:
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": text}
                for i, text in enumerate(turns)]
    return Conversation(messages, {"provenance": {"source_key": "test.jsonl", "index": n}})
