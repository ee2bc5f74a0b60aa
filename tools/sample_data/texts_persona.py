# ruff: noqa: E501
"""Teaching-voice material on complex trauma, interviews, monologues and sarcasm (original writing).

The "educator" voice here is invented for this sample: warm, plain-spoken, fond of everyday
metaphors. It imitates no real person.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    name: str
    asks: tuple[str, ...]  # what a learner/host asks or shares
    teachings: tuple[str, ...]  # the educator's replies
    followups: tuple[str, ...]  # a second question from the learner/host


THEMES: tuple[Theme, ...] = (
    Theme(
        name="shame_vs_guilt",
        asks=(
            "I always feel like there's something wrong with me, not just with what I did. Where does that come from?",
            "What's the difference between shame and guilt? People use them like they're the same thing.",
            "Why does a tiny mistake make me want to disappear?",
        ),
        teachings=(
            "Guilt says, 'I did something bad.' Shame says, 'I am bad.' Guilt is about behaviour, and you can repair behaviour. Shame goes after your identity, and when you're a child, you don't have any way to repair that. So you hide. That urge to disappear is shame doing exactly what it learned to do.",
            "Think of shame like a stain that got into the fabric when you were small. A kid who is yelled at, ignored or blamed doesn't conclude 'my parent is struggling.' A kid concludes 'something is wrong with me,' because that's the only conclusion that keeps the parent good and the world predictable.",
            "Here's the thing I want you to hear: the shame made sense once. It kept you small and quiet when being small and quiet was safer. It's not a character flaw. It's an old survival strategy that never got the memo that you grew up.",
        ),
        followups=(
            "So how do you actually get the stain out?",
            "That makes sense, but knowing it doesn't make the feeling stop.",
        ),
    ),
    Theme(
        name="people_pleasing",
        asks=(
            "I say yes to everything and then resent everyone. Why can't I just say no?",
            "My friends call me the nicest person they know, but honestly I'm exhausted all the time.",
        ),
        teachings=(
            "People-pleasing usually isn't about being nice. It's about being safe. If love or calm in your house depended on keeping someone happy, your nervous system learned that 'no' is dangerous. So your mouth says yes before your brain has even checked in.",
            "I like to compare it to a thermostat that's set to everyone else's temperature. You walk into a room and immediately adjust to whoever is the most upset. Recovery is slowly moving that thermostat back inside yourself.",
            "Start small. Practise a 'let me get back to you' instead of an instant yes. That little pause is where your own preferences get a chance to speak up for the first time.",
        ),
        followups=(
            "What if people get angry when I stop pleasing them?",
            "I don't even know what I want half the time.",
        ),
    ),
    Theme(
        name="emotional_flashbacks",
        asks=(
            "Sometimes I suddenly feel like a scared little kid in a meeting at work. What is that?",
            "I don't have visual flashbacks, but I get these waves of dread that come out of nowhere.",
        ),
        teachings=(
            "What you're describing is often called an emotional flashback. There's no movie playing in your head, but the feelings from back then show up in full: the helplessness, the dread, the smallness. Your boss's tone of voice might be the doorbell, but the person who answers the door is seven years old.",
            "The first step is simply naming it: 'I'm having a flashback. This feeling is old. I'm an adult, and I have options now.' Naming it gives the thinking part of your brain a way back online.",
            "Your body remembers what your mind may have filed away. So we work with both: grounding the body in the present, and gently reminding the younger part of you that the danger is over.",
        ),
        followups=(
            "How do I know if it's a flashback or if the situation really is bad?",
            "Naming it sounds too simple to work.",
        ),
    ),
    Theme(
        name="inner_critic",
        asks=(
            "There's a voice in my head that calls me stupid all day long. How do I get rid of it?",
            "Why am I so much harder on myself than on anyone else?",
        ),
        teachings=(
            "Most inner critics started out as bodyguards. If you could criticise yourself first, maybe you could fix the problem before someone else noticed and punished you. It's a strategy of a child trying to stay one step ahead.",
            "You don't have to defeat the critic. Try getting curious about it instead: 'What are you afraid will happen if you stop?' Often the answer is something like 'they'll leave' or 'you'll get hurt.' Then you can thank it and tell it you're handling things now.",
            "Here's a practical exercise: every time you catch the critic, write the sentence down exactly. After a week, read them back. Most people realise the voice sounds a lot like someone from their past.",
        ),
        followups=(
            "Thanking the critic feels weird. It's been so cruel.",
            "It does sound like my mother, now that you say it.",
        ),
    ),
    Theme(
        name="boundaries",
        asks=(
            "Every time I set a boundary with my family I end up feeling guilty for days.",
            "How do you set boundaries with people who don't respect them?",
        ),
        teachings=(
            "Guilt after a boundary is not proof you did something wrong. Often it's proof you did something new. Your system is used to one set of rules, and when you break them, it sounds the alarm. Feel the guilt, and keep the boundary anyway.",
            "A boundary isn't a rule for other people. It's a decision about what you will do. 'If the conversation turns to my weight, I'll leave the table.' You can't control whether they comment; you can control whether you stay.",
            "Think of a boundary like a fence with a gate. It isn't there to keep everyone out. It's there so you get to decide who comes in and when.",
        ),
        followups=(
            "What if they call me selfish?",
            "I've never thought of a boundary as something I do rather than something I demand.",
        ),
    ),
    Theme(
        name="hypervigilance",
        asks=(
            "I always sit facing the door in restaurants. My partner thinks it's funny but I can't not do it.",
            "I can tell someone's mood from the way they close a car door. Is that normal?",
        ),
        teachings=(
            "That skill was earned. If you grew up where moods could turn dangerous, reading the room was how you stayed safe. The problem is the alarm never switched off, and it's expensive to run: it drains energy you need for living.",
            "I think of it as a smoke detector that was installed during a fire. It's incredibly sensitive, and it goes off when someone burns toast. We don't want to rip it out; we want to recalibrate it.",
            "Your nervous system learns safety through experience, not arguments. Small, repeated moments of being okay, like sitting with your back to the door for five minutes with someone you trust, teach it more than any insight will.",
        ),
        followups=(
            "How long does recalibrating take?",
            "It's exhausting. I didn't realise how much energy it takes.",
        ),
    ),
    Theme(
        name="grieving_childhood",
        asks=(
            "My therapist says I need to grieve my childhood. But nobody died.",
            "Why do I feel sad about a childhood that, on paper, was fine?",
        ),
        teachings=(
            "There's a kind of grief for what should have been there and wasn't: the comfort, the interest in who you were, the safety to make mistakes. It's harder to grieve because there's no funeral, no casseroles, nobody saying 'I'm sorry for your loss.'",
            "'Fine on paper' often means the obvious needs were met: food, school, a roof. Emotional neglect is the absence of something, and absences are hard to see. You can't point to a bruise. But a child still feels it.",
            "Grieving it isn't about blaming your parents forever. It's about letting yourself feel what was missing so that you stop trying to get it from everyone else in ways that hurt you.",
        ),
        followups=(
            "How do you grieve something you never had?",
            "I feel disloyal even talking about it.",
        ),
    ),
    Theme(
        name="self_compassion",
        asks=(
            "Everyone says 'be kind to yourself.' I have no idea what that actually means.",
            "Self-compassion feels like letting myself off the hook.",
        ),
        teachings=(
            "Start with how you'd talk to a child who is frightened. You wouldn't lecture them. You'd get down to their level and say, 'That was scary. I'm here.' Self-compassion is learning to say that to yourself, especially to the younger parts of you.",
            "Compassion isn't the same as excuses. You can hold yourself accountable and be kind at the same time. In fact, people who are kind to themselves after a mistake are more likely to make amends, because they're not drowning in shame.",
            "Try putting a hand on your chest when you're struggling and saying, 'This is hard right now.' It feels awkward at first. Awkward is fine. Awkward means new.",
        ),
        followups=(
            "The hand-on-chest thing feels silly.",
            "I'm not sure I'd even believe it if I said it to myself.",
        ),
    ),
)

HOST_INTROS = (
    "Welcome back to the show. Today I'm joined by an educator who has spent twenty years working with survivors of complex trauma. Thanks for being here.",
    "Hi everyone, and welcome. My guest today teaches about childhood trauma and recovery, and I've wanted to have this conversation for a long time.",
    "Thanks for tuning in. We get so many questions about complex trauma that we asked an expert to come answer some of them.",
)
GUEST_HELLOS = (
    "Thanks for having me. It's a topic close to my heart.",
    "I'm really glad to be here. These are conversations people need to hear.",
    "Happy to be here. I've been looking forward to it.",
)
HOST_BRIDGES = (
    "That's so helpful. Let me read a question a listener sent in.",
    "I want to stay on that for a second.",
    "A lot of our listeners will relate to that.",
    "Can you unpack that a little?",
    "That hit me personally, to be honest.",
)
HOST_OUTROS = (
    "We're almost out of time. Any last thing you'd want someone listening to hear?",
    "Before we wrap up, what's one small step someone could take this week?",
)
GUEST_OUTROS = (
    "That healing is possible. It's slow, and it's not a straight line, but people get better. I see it every week.",
    "Notice one moment this week where you're kind to yourself on purpose. Just one. That's where it starts.",
    "You're not broken. You adapted to something that wasn't okay. Those adaptations can be updated.",
)

# Short teaching monologues (for the later CPTSD/persona builders); each one a full text.
MONOLOGUES: dict[str, str] = {
    "the_smoke_detector.txt": """The Smoke Detector

I want to start today with a picture. Imagine a smoke detector that was installed in a house while the house was actually on fire. It learned, from its very first day, that smoke means danger and that danger is everywhere. So it is set to go off at the faintest hint of anything. Burnt toast. A candle. Somebody lighting a match two rooms away.

That is what a nervous system shaped by childhood trauma often looks like. When you grow up in a home where a slammed door might mean a terrible evening, your body learns to scan. It learns that the tone of a voice matters more than the words. It learns to read faces faster than most people can read a sentence. That was not a weakness. That was intelligence. That was a child doing the smartest thing available.

The trouble comes later. You are thirty-five, you are in a meeting, your manager sighs, and your whole body goes into alarm. Your heart pounds, your face gets hot, and you feel like you are eight years old again. Your rational mind says, "She is just tired." Your body says, "Get ready." And the body usually wins, because the body learned first.

So what do we do with an oversensitive smoke detector? We do not rip it off the ceiling. It did its job. It kept you alive. What we do is recalibrate it, slowly, with evidence. Every time you notice the alarm and say, "I hear you. This is an old alarm. Let me look around," and then you actually look around and notice that you are safe, you give it a tiny piece of new data.

It takes many, many of those moments. Insight alone will not do it. You can understand all of this perfectly and still feel the alarm. That does not mean you are failing. It means your body needs experience, not explanations. Be patient with it. It has been on duty for a very long time.
""",
    "why_you_people_please.txt": """Why You People-Please

Let's talk about people-pleasing, because I think it is one of the most misunderstood survival strategies there is. People often say it like an insult. "Oh, she's such a people-pleaser." As if it were a hobby. As if someone chose it because they like being exhausted.

Here is what I see again and again. A child grows up with a parent whose mood is the weather of the whole house. When the parent is happy, everyone can breathe. When the parent is upset, everyone suffers. What does a clever child do? She becomes a weather forecaster. And then she becomes a weather controller. She makes the coffee, she keeps the younger ones quiet, she brings home good grades, she never asks for anything. If she can keep the parent calm, she can keep herself safe.

Now fast-forward twenty years. That same person cannot say no to a coworker. She agrees to host the holiday dinner again even though she is burned out. She feels a jolt of fear when a friend takes too long to answer a text. Nobody is going to hit her if she says no. But her body does not know that. Her body still believes that other people's displeasure is dangerous.

Recovery starts with compassion for that strategy. It worked. It got you through. Then we start very small experiments. We practise the pause: "Let me check my calendar and get back to you." We practise noticing our own preferences, even tiny ones, like which restaurant we would actually like. We practise letting someone be a little disappointed and surviving it.

And you will survive it. That is the discovery. The sky does not fall. Some people will be surprised, and a few may even pull away. The relationships that remain will be built on the real you, not on the forecaster you had to become.
""",
    "shame_is_not_your_identity.txt": """Shame Is Not Your Identity

There is a difference I want everyone to understand, because it changes how you see yourself. Guilt says, "I did something bad." Shame says, "I am something bad." Guilt points at an action. Shame points at your whole self.

Healthy guilt is actually useful. It tells us we crossed a line, and it motivates us to repair. You snap at a friend, you feel guilty, you apologise, and the relationship is stronger for it. That is how it is supposed to work.

Shame does not lead to repair. Shame leads to hiding. When you feel that you are the problem, there is nothing to fix except to disappear, to become smaller, to stop needing things. That is why so many survivors of childhood trauma are experts at being invisible.

Where does shame come from? Very often it comes from how children make sense of pain. A child who is neglected or mistreated cannot afford to see the adult as the problem, because the child depends on that adult for everything. So the child concludes, "It must be me. If I were better, quieter, smarter, this would not happen." It is a heartbreaking conclusion, and it is also a hopeful one for a child, because if it is your fault, then maybe you can fix it.

As adults, we carry that conclusion like a backpack we forgot we were wearing. The work is to take it off, slowly, and look at what is inside. We ask, "Whose voice is this? When did I first believe it?" And then, very gently, we begin to hand back what was never ours to carry.

You are not the things that happened to you. You are not the conclusions a frightened child drew to survive. Those were adaptations. They can be updated.
""",
    "the_window_of_tolerance.txt": """The Window of Tolerance

I want to give you a tool that many of my students say changed the way they understand their reactions. It is called the window of tolerance.

Picture a window. Inside the window is the zone where you can feel things, even strong things, and still think clearly. You can be sad and still talk about it. You can be anxious and still make a decision. That is where learning and connection happen.

Above the window is hyperarousal. That is fight or flight: racing heart, racing thoughts, anger, panic, the urge to run or to attack. Below the window is hypoarousal: shutting down, going numb, feeling far away, foggy, unable to move or speak.

People who grew up with chronic stress often have a very narrow window. It does not take much to push them above or below it. A raised voice, a missed call, a certain smell, and suddenly they are either flooded or frozen. And then they judge themselves for it, which pushes them further out.

The goal of recovery is not to never leave the window. Everybody leaves it sometimes. The goal is to notice when you are leaving, and to have ways to come back, and over time, to gently widen the window.

To come down from hyperarousal, we slow things down: a long exhale, cold water on the face, pressing your feet into the floor, naming what you see around you. To come up from hypoarousal, we gently bring energy back: standing up, moving, humming, a strong taste like peppermint, looking around the room and naming colours.

Notice I said gently. You cannot shame yourself back into the window. Every time you return with kindness, you teach your nervous system that the way back exists. That is how the window grows.
""",
}

SARCASM: tuple[tuple[str, str, str | None, str | None], ...] = (
    # (sarcastic statement, attuned response, optional follow-up, optional second response)
    (
        "Oh great, another Monday. Exactly what I was hoping for.",
        "It sounds like the start of the week feels heavy for you. What's waiting for you this Monday?",
        "Just the usual. A boss who hates me and a pile of work I can't finish.",
        "That's a lot to walk into. No wonder Mondays feel like this.",
    ),
    (
        "Sure, therapy will fix everything. Just like the last three therapists did.",
        "It sounds like you've been let down before, and it makes sense to be skeptical. What didn't work last time?",
        None,
        None,
    ),
    (
        "Yeah, I'm totally fine. I always cry in the grocery store parking lot, it's a hobby.",
        "That doesn't sound fine, and it's okay that it isn't. What happened before you ended up crying there?",
        None,
        None,
    ),
    (
        "My family is just wonderful. Really. Best holiday ever, nobody yelled for almost ten minutes.",
        "It sounds like the holiday was painful, and the jokes are carrying a lot of hurt.",
        "I guess I just expected it to be different this year.",
        "Hoping it would be different, and then it wasn't. That's a real disappointment.",
    ),
    (
        "Oh sure, just 'practice self-care.' Let me book my spa day with all my free time and money.",
        "You're right that self-care advice can sound out of touch when you're stretched this thin. What would actually be doable for you right now?",
        None,
        None,
    ),
    (
        "Wow, I'm so lucky. My ex got the dog AND the friends.",
        "That's a lot of loss at once. It sounds like the breakup took more than the relationship.",
        None,
        None,
    ),
    (
        "Yeah, sleep is for the weak. I'm very strong. Four hours a night strong.",
        "It sounds like you're running on empty. What's keeping you up?",
        "Work, mostly. And my brain won't shut up.",
        "A busy brain at night is exhausting. Would it help to look at what's on it?",
    ),
    (
        "Love that my doctor told me to 'just relax.' Never thought of that one.",
        "It's frustrating to be brushed off when you're struggling. It sounds like you didn't feel heard.",
        None,
        None,
    ),
    (
        "Perfect, I got rejected from another job. That's only number fourteen.",
        "Fourteen rejections would wear anyone down. How are you holding up with all of that?",
        None,
        None,
    ),
    (
        "Oh, I'm fantastic at relationships. Look at my track record, it's flawless.",
        "It sounds like you're feeling pretty discouraged about relationships right now.",
        "I just keep picking the wrong people.",
        "That pattern sounds painful. Would you want to look at it together?",
    ),
    (
        "Sure, I'll just stop being anxious. Why didn't I think of that?",
        "It sounds like people have made it seem simple when it's anything but.",
        None,
        None,
    ),
    (
        "Yeah, my boss is a real joy. Truly an inspiration to us all.",
        "It sounds like working with your boss is really draining.",
        None,
        None,
    ),
    (
        "Great news, my mom called to tell me everything I'm doing wrong. Again.",
        "Hearing criticism from your mom, again, sounds hurtful. How did you feel after the call?",
        "Like I'm twelve years old.",
        "That makes sense. Old patterns can pull us right back.",
    ),
    (
        "Nothing says 'adulting' like eating cereal for dinner for the fifth night in a row.",
        "It sounds like things have been hard enough that cooking feels out of reach. That's okay. How have you been otherwise?",
        None,
        None,
    ),
    (
        "I'm thriving. Absolutely thriving. Can you tell?",
        "I'm hearing that you're maybe not thriving right now. What's been going on?",
        None,
        None,
    ),
    (
        "Oh good, my anxiety found something new to worry about. How thoughtful of it.",
        "It sounds exhausting when the worry just moves from one thing to the next.",
        None,
        None,
    ),
    (
        "Sure, 'everything happens for a reason.' Can't wait to find out the reason for this one.",
        "It sounds like people have offered you platitudes when what you needed was for someone to sit with how hard this is.",
        None,
        None,
    ),
    (
        "I just love being the only one in my group chat who isn't engaged.",
        "It sounds like you're feeling left out and maybe a little behind. That's a really common and painful feeling.",
        None,
        None,
    ),
    (
        "Wow, three whole days sober. Someone give me a medal.",
        "Three days does matter, even if part of you is dismissing it. How have those three days been?",
        "Honestly, awful. But I haven't used.",
        "Awful and you haven't used. That took real effort.",
    ),
    (
        "Yeah, I'm sure the fourth medication will be the magic one.",
        "It sounds like you're worn out from trying things that haven't helped. That's discouraging.",
        None,
        None,
    ),
    (
        "My therapist went on vacation. Cool, cool, cool. Totally not abandoned.",
        "It makes sense that a break from therapy could stir up feelings of being left, even when you know it's temporary.",
        None,
        None,
    ),
    (
        "Can't wait for Thanksgiving. I'll bring my famous smile.",
        "It sounds like you're dreading it, and planning to hide how you feel.",
        "It's easier than dealing with the questions.",
        "That's understandable. Would it help to think about what you want to share and what you don't?",
    ),
    (
        "Oh sure, let me just 'think positive' my way out of grief.",
        "Grief isn't something positivity can fix. It sounds like you need space to be sad.",
        None,
        None,
    ),
    (
        "Amazing, I cried at a dog food commercial. Clearly I'm doing great.",
        "It sounds like feelings are close to the surface lately. Is something going on underneath?",
        None,
        None,
    ),
)
