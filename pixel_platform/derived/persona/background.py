"""A small general-English background: what any speaker says, so it is not a voice signature.

``COMMON_WORDS`` are frequent English words; ``COMMON_NGRAMS`` are frequent word pairs and
triples of everyday English. Both are short hand-written lists (no corpus is shipped): a phrase
made only of common words counts as distinctive only when it is long and recurs across talks, and
a phrase in ``COMMON_NGRAMS`` never does. Pass ``background_texts`` to ``build_profile`` to rank
against a real reference corpus instead.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


COMMON_WORDS = _words(
    """the be to of and a in that have i it for not on with he as you do at this but his by from
    they we say her she or an will my one all would there their what so up out if about who get
    which go me when make can like time no just him know take people into year your good some
    could them see other than then now look only come its over think also back after use two how
    our work first well way even new want because any these give day most us is are was were been
    has had did does said got made going very really much many more thing things something
    nothing everything someone everyone anyone lot little bit here where why too still never always
    every each same own again off down through should must may might shall let put keep tell ask
    feel seem try call need mean old long great big small right left last next yes okay ok oh
    it's that's i'm you're don't can't isn't doesn't didn't won't there's let's i've we're
    they're he's she's what's"""
)


def _phrases(text: str) -> frozenset[str]:
    """``|``-separated phrases; whitespace inside a phrase is normalised to single spaces."""
    return frozenset(" ".join(p.split()) for p in text.split("|") if p.strip())


COMMON_NGRAMS = _phrases(
    """of the|in the|to the|on the|and the|at the|for the|from the|with the|by the|is the|that the
    |it is|it was|i am|you are|we are|they are|there is|there are|this is|that is|is a|is not
    |to be|going to|want to|have to|need to|a lot|a lot of|one of the|you can|i think|do not
    |i don't|don't know|i don't know|as well|kind of|sort of|of a|in a|and i|and you|if you
    |you have|you know|be able to|able to|at the same time|in order to|the same|a little
    |we have|can be|will be|would be|to do|to get|to go|to make|to see|to say|to know|to have
    |it's a|that's a|i'm not|this is a|there's a|i want|you want|do you|are you|is it|what is
    |what are|how to|how do|you don't|we don't|they don't|it's not|that's not|you can't
    |i can't|a bit|all the|all of|some of|out of|part of|because of|as a|such a|so much
    |too much|very much|at all|and then|but i|but you|so i|so you|when i|when you|if i|and it
    |and that|that you|that i|and we|of you|for you|to you|with you|you will|you would|i would
    |i was|you were|we were|it will|it would|there was|there were|have been|has been|had been
    |do it|did it|get it|make it|take it|go to|come to|try to|used to|about the|into the
    |over the|after the|before the|around the|a few|a long time|the first|the way|the other
    |the best|the most|more than|less than|as much as|a good|a great|a very|very good
    |talk about|talking about|looks like|look like|look at|look around|fix it|your body|my body
    |you see|i see|we see|it learns|i know|you know that|at first|for years|right now"""
)
