# ruff: noqa: E501
"""English text banks for the sample corpus: counselling dialogue pieces, written for this repo.

Everything here is original writing (no copied transcripts). Templates carry ``{slot}`` fields that
``fill`` replaces with seeded choices from ``SLOTS``, so generated records vary without being random
noise. The dialogue builders live in ``dialogue.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

SLOTS: dict[str, tuple[str, ...]] = {
    "duration": (
        "for a few weeks",
        "for about two months",
        "since the spring",
        "for almost a year",
        "since last winter",
        "for the past six months",
        "ever since I moved",
        "on and off for years",
        "since my birthday",
        "for most of this semester",
    ),
    "person": (
        "my partner",
        "my mom",
        "my dad",
        "my sister",
        "my brother",
        "my best friend",
        "my roommate",
        "my husband",
        "my wife",
        "my girlfriend",
        "my boyfriend",
        "my aunt",
    ),
    "when": (
        "at night",
        "first thing in the morning",
        "on Sunday evenings",
        "right before meetings",
        "when I'm alone in the apartment",
        "in crowded places",
        "right before bed",
        "on the drive to work",
        "whenever my phone buzzes",
    ),
    "ago": (
        "three weeks ago",
        "last spring",
        "almost a year ago",
        "two months ago",
        "right before the holidays",
        "in March",
    ),
    "job": (
        "nurse",
        "teacher",
        "software developer",
        "line cook",
        "accountant",
        "warehouse supervisor",
        "grad student",
        "paralegal",
        "retail manager",
        "social worker",
        "bus driver",
        "pharmacist",
    ),
    "hobby": (
        "painting",
        "running",
        "playing guitar",
        "baking",
        "hiking",
        "gaming with friends",
        "gardening",
        "reading fantasy novels",
        "photography",
    ),
    "loss": (
        "my grandmother",
        "my dad",
        "my best friend from college",
        "my older brother",
        "my mom",
        "my best friend",
        "my uncle who basically raised me",
    ),
    "substance": ("alcohol", "pills", "weed", "cocaine", "gambling", "vaping", "opioids"),
    "place": (
        "the grocery store",
        "the café near my office",
        "my kid's school",
        "the gym",
        "church",
        "the bus",
        "family dinners",
    ),
    "hours": ("three", "four", "four and a half", "five", "maybe two"),
    "number": ("two", "three", "four", "five", "six"),
}


@dataclass(frozen=True)
class Topic:
    """The pieces one counselling topic is built from. All pools are sampled without replacement."""

    name: str
    openers: tuple[str, ...]  # first user message
    details: tuple[str, ...]  # user elaborations
    reflections: tuple[str, ...]  # assistant reflections of feeling/content
    questions: tuple[str, ...]  # assistant open questions
    strategies: tuple[str, ...]  # assistant suggestions, psychoeducation
    followups: tuple[str, ...]  # user reactions to a suggestion
    titles: tuple[str, ...] = ()  # short forum-style titles
    subreddit: str = "mentalhealth"


TOPICS: dict[str, Topic] = {}


def _topic(topic: Topic) -> None:
    TOPICS[topic.name] = topic


_topic(
    Topic(
        name="anxiety",
        subreddit="Anxiety",
        openers=(
            "I've been feeling on edge {duration} and I can't seem to shake it.",
            "My anxiety is through the roof lately. Even small things like replying to an email make my chest tight.",
            "I keep having these waves of panic {when} and I don't understand where they come from.",
            "Everyone tells me I'm a worrier, but it's gotten to the point where I can't enjoy anything.",
            "I had what I think was a panic attack at {place} last week and now I'm scared to go back.",
            "I can't stop thinking about worst-case scenarios. If {person} doesn't text back I assume something terrible happened.",
        ),
        details=(
            "It's worse {when}. My heart races, my hands get sweaty and I feel like I can't get a full breath.",
            "I've started avoiding things, like skipping {place}, because I'm afraid it'll happen again.",
            "I check my phone constantly and reread messages to make sure I didn't say anything wrong.",
            "My doctor said my heart is fine, which helped for a day, and then the worry just moved to something else.",
            "At work I rehearse every conversation in my head before I have it. It's exhausting.",
            "I lie awake running through lists of things that could go wrong tomorrow.",
        ),
        reflections=(
            "It sounds like your body is sounding an alarm even when there's no fire, and that's frightening.",
            "You're carrying a lot of worry, and it seems like it's starting to shrink your world.",
            "It makes sense that you'd want to avoid places where the panic showed up; avoidance is how our brains try to protect us.",
            "I'm hearing how tiring it is to be on high alert all the time.",
            "It sounds like the anxiety keeps finding new things to attach to, even after one fear is settled.",
        ),
        questions=(
            "When you notice the anxiety starting, what's the very first thing you feel in your body?",
            "What do you usually do in the moment when the panic hits?",
            "Are there times in the day when the worry is quieter?",
            "What do you imagine would happen if you didn't check or prepare?",
            "How has this been affecting your sleep and eating?",
        ),
        strategies=(
            "One thing that helps many people is slow breathing with a longer exhale: in for four counts, out for six, for a couple of minutes. A long exhale tells the nervous system it's safe to settle.",
            "You might try scheduling a fifteen-minute 'worry window' each day. When a worry shows up outside that time, jot it down and tell yourself you'll give it full attention later.",
            "Avoidance brings relief now but tends to make the fear bigger over time. We could plan small, gradual steps back toward {place}, starting with something that feels about a three out of ten.",
            "Grounding can help during a panic wave: name five things you can see, four you can touch, three you can hear, two you can smell and one you can taste.",
            "It can help to notice the thought and label it, like 'I'm having the thought that something bad will happen,' rather than treating it as a prediction.",
            "Cutting back on caffeine and keeping regular meals can make a surprising difference, because hunger and caffeine both mimic anxiety in the body.",
        ),
        followups=(
            "I tried breathing exercises before but my mind just keeps racing.",
            "That makes sense. I think I avoid a lot more than I realized.",
            "Honestly I'm scared that if I stop worrying, I'll miss something important.",
            "The five-four-three-two-one thing actually sounds doable.",
            "I don't know. Part of me thinks I'm just a nervous person and that's it.",
        ),
        titles=(
            "Constant anxiety and I don't know why",
            "Panic attack at the store, now scared to leave the house",
            "How do you stop the what-ifs?",
            "Anxiety is ruining my job",
        ),
    )
)

_topic(
    Topic(
        name="depression",
        subreddit="depression",
        openers=(
            "I've been feeling really low {duration}. I don't enjoy {hobby} anymore and most days I just lie in bed.",
            "I don't know how to explain it. Everything feels gray and pointless.",
            "I used to be the person who organized everything, and now I can barely answer a text.",
            "I cry for no reason and then feel numb for days. Is that normal?",
            "I feel like a burden to {person}. They keep asking what's wrong and I don't have an answer.",
            "Getting out of bed takes everything I have. I've called in sick {number} times this month.",
        ),
        details=(
            "I sleep ten hours and still wake up exhausted.",
            "I stopped going to the gym, stopped cooking, stopped answering my friends. It just piles up.",
            "Even things that used to make me happy, like {hobby}, feel like chores now.",
            "My appetite is gone. Some days I realize at dinner that I haven't eaten.",
            "I keep thinking I should be grateful because nothing terrible happened, which makes me feel worse.",
            "I can't concentrate. I read the same paragraph five times and nothing sticks.",
        ),
        reflections=(
            "It sounds like you've been running on empty for a long time, and everything takes more effort than it used to.",
            "That numbness you describe is a really common part of depression, and it can feel lonelier than sadness.",
            "I hear a lot of self-criticism in how you talk about this, as if feeling low is a personal failing.",
            "It sounds like the things that used to refill you have stopped working, which is a painful place to be.",
            "You're still reaching out, even while everything feels heavy. That matters.",
        ),
        questions=(
            "What does a typical day look like for you right now?",
            "Has anything changed in your life around the time this started?",
            "Who in your life knows how you've been feeling?",
            "Have you had any thoughts of hurting yourself or that life isn't worth living?",
            "What is one small thing that still feels even a little bit okay?",
        ),
        strategies=(
            "Depression tells us to wait until we feel motivated, but motivation usually follows action. We could pick one very small activity, like a ten-minute walk, and schedule it no matter how you feel.",
            "It might help to talk with your doctor about how you've been feeling. Depression is treatable, and therapy, medication or both are effective options.",
            "Try keeping a simple log of what you do each hour and rating your mood from one to ten. Patterns often show up that we can work with.",
            "When the inner voice says you're a burden, it can help to ask: would I say this to a friend in my position?",
            "Basic routines are a form of care: a consistent wake-up time, one real meal, a few minutes of daylight. They're not a cure, but they give your brain something steady to stand on.",
            "Reconnecting with one person, even by sending a short text, can chip away at the isolation depression creates.",
        ),
        followups=(
            "A ten-minute walk sounds small enough that I might actually do it.",
            "I've thought about seeing a doctor but I'm worried they'll just throw pills at me.",
            "I would never call a friend a burden. It's different when it's me, though.",
            "I don't really have anyone to text. Everyone has drifted away.",
            "Maybe. I just don't see the point most days.",
        ),
        titles=(
            "Everything feels gray",
            "Can't get out of bed anymore",
            "Feel like a burden to everyone",
            "Lost interest in everything I used to love",
        ),
    )
)

_topic(
    Topic(
        name="grief",
        subreddit="GriefSupport",
        openers=(
            "I lost {loss} {ago} and I still can't believe it's real.",
            "Everyone says it gets easier, but it's been months since I lost {loss} and it's getting harder.",
            "I keep picking up my phone to call {loss} and then remembering.",
            "I feel guilty for laughing at something yesterday. It felt like I was forgetting {loss}.",
            "The anniversary of losing {loss} is coming up and I'm dreading it.",
        ),
        details=(
            "I didn't get to say goodbye. It happened so fast.",
            "People stopped checking in after the funeral, and now it feels like I'm the only one still grieving.",
            "Some days I'm fine, and then a song in {place} wrecks me completely.",
            "I keep replaying the last conversation we had. I was short with them and now I can't take it back.",
            "I haven't been able to go through their things. Their coat is still on the hook by the door.",
        ),
        reflections=(
            "Grief doesn't follow a schedule, and it sounds like the world moved on before you were ready.",
            "It sounds like you loved them deeply, and the pain you're feeling is connected to that love.",
            "Those sudden waves are so common in grief; it can feel like being knocked over when you least expect it.",
            "The guilt you're describing is heavy, and it sounds like you're holding yourself to an impossible standard.",
            "Laughing doesn't mean forgetting. It sounds like part of you is afraid that healing means letting go of them.",
        ),
        questions=(
            "What was your relationship with them like?",
            "How have you been taking care of yourself since the loss?",
            "Is there someone you can talk to about them, someone who knew them too?",
            "What would you want to say to them if you could?",
            "What do you think they would say to you about the guilt you're carrying?",
        ),
        strategies=(
            "Some people find it helpful to write a letter to the person they lost, saying the things that didn't get said.",
            "There's no deadline for going through their belongings. It's okay to wait until it feels right, or to do it a little at a time with someone beside you.",
            "For the anniversary, it can help to plan the day in advance, maybe a small ritual that honors them, so the day doesn't only hold dread.",
            "Grief groups can be a relief because everyone there understands that 'getting over it' isn't the goal.",
            "Grief often moves back and forth between mourning and getting on with daily life. Both are part of healthy grieving, and moving between them is normal.",
        ),
        followups=(
            "A letter feels like a lot, but maybe I could try.",
            "I don't think I'm ready for a group. I'd just cry the whole time.",
            "They'd probably tell me to stop being so hard on myself.",
            "It helps to hear that it's normal. I thought something was wrong with me.",
        ),
        titles=(
            "Lost my mom and the world kept going",
            "Is it normal that grief gets worse after a few months?",
            "Guilty for laughing",
        ),
    )
)

_topic(
    Topic(
        name="trauma",
        subreddit="CPTSD",
        openers=(
            "Something happened to me a few years ago and I thought I was over it, but lately it keeps coming back.",
            "I get flashbacks {when}. It's like I'm right back there.",
            "Loud voices make me freeze. I know I'm safe but my body doesn't believe it.",
            "I grew up in a house where you never knew what mood {person} would be in. I'm an adult now and I still walk on eggshells everywhere.",
            "I startle at everything and I can't relax, even on vacation.",
        ),
        details=(
            "I don't really remember big parts of my childhood. There are just gaps.",
            "When my partner raises their voice even a little, I go completely blank and can't speak.",
            "I apologize for everything. My friend pointed out that I said sorry twelve times in one lunch.",
            "I sleep with the hall light on. I'm thirty-four and I feel ridiculous about it.",
            "Sometimes I feel like I'm watching myself from outside, like a movie.",
        ),
        reflections=(
            "What you're describing sounds like your nervous system learned to stay on guard because it once needed to.",
            "Freezing isn't a choice or a weakness; it's one of the ways the body tries to keep us safe when fight or flight aren't options.",
            "It sounds like you became an expert at reading other people's moods because your safety depended on it.",
            "Those gaps and the feeling of watching yourself from outside can be ways the mind protected you from too much at once.",
            "There's nothing ridiculous about needing the light on. It sounds like it helps you feel safe, and that's important.",
        ),
        questions=(
            "When you freeze, what helps you come back into the room afterward?",
            "Do you have a sense of what tends to set off the flashbacks?",
            "Where in your body do you notice the fear first?",
            "What did you need back then that you didn't get?",
            "Is there anywhere, or anyone, that feels safe to you right now?",
        ),
        strategies=(
            "During a flashback it can help to orient to the present: say the date out loud, name where you are, press your feet into the floor and notice the temperature of the air.",
            "Trauma-focused therapies like EMDR, trauma-focused CBT or somatic approaches can help the brain file the memory as something that happened then, not now.",
            "You might build a small 'grounding kit': something with a strong smell, a textured object, a photo that reminds you of safety.",
            "Noticing the apology reflex without judging it is a first step. You could experiment with replacing one 'sorry' a day with 'thank you for waiting.'",
            "Healing from this kind of trauma is usually slow and happens in relationship. It's okay to go at a pace that keeps you within your window of tolerance.",
        ),
        followups=(
            "Saying the date out loud sounds silly but I'll try it.",
            "I've heard of EMDR. It scares me a little, to be honest.",
            "I never thought of the freezing as my body protecting me.",
            "I don't know what I needed. Nobody ever asked.",
        ),
        titles=(
            "Flashbacks out of nowhere",
            "Still walking on eggshells at 30",
            "Freeze response when people raise their voice",
        ),
    )
)

_topic(
    Topic(
        name="addiction",
        subreddit="addiction",
        openers=(
            "I'm {number} weeks sober from {substance} and the cravings tonight are brutal.",
            "I relapsed last weekend after {number} months clean and I feel like I threw everything away.",
            "I think my drinking has gotten out of hand. I hide bottles from {person}.",
            "I keep telling myself I'll stop on Monday and then Monday comes and I don't.",
            "My family found out about my {substance} problem and now nobody trusts me.",
        ),
        details=(
            "Fridays are the worst. That was always my night.",
            "I deleted my dealer's number but I still know it by heart.",
            "I went to one meeting and sat in the back and left before the end.",
            "The shame afterward is almost worse than the craving itself.",
            "I've lost money I can't really afford to lose, and I lied about where it went.",
        ),
        reflections=(
            "A relapse doesn't erase the months you put in. It sounds like you're being really hard on yourself.",
            "It takes real courage to say out loud that it's gotten out of hand.",
            "Cravings can feel endless in the moment, but they do rise, peak and pass, usually within twenty or thirty minutes.",
            "It sounds like the shame is feeding the cycle, pushing you toward the very thing you're trying to stop.",
            "Rebuilding trust takes time, and it sounds like you want to do that work.",
        ),
        questions=(
            "What usually happens right before a craving gets strong?",
            "Who do you have in your corner right now?",
            "What was different during the months you stayed clean?",
            "What would you like your relationship with {substance} to look like?",
            "What do you need tonight to get through to tomorrow?",
        ),
        strategies=(
            "Try 'urge surfing': notice the craving like a wave, rate it from one to ten every few minutes, and watch it crest and fall without acting on it.",
            "Having a plan for Friday nights could help: something scheduled, somewhere you can't easily use, someone who knows what you're working on.",
            "Going back to a meeting, or trying a different one, can help. Many people try several before one feels right, and SMART Recovery is an option if the twelve-step format isn't a fit.",
            "Treat a relapse as information rather than failure: what were the warning signs, and what would you do differently next time?",
            "Talking with a doctor about medication-assisted treatment may be worth it; for some substances it significantly reduces cravings.",
        ),
        followups=(
            "I did make it through a craving last week by just waiting. It did pass.",
            "I'm scared to go back to a meeting after relapsing. Everyone will know.",
            "My sponsor keeps telling me the same thing about relapse being information.",
            "I don't know if I want to quit completely or just cut back.",
        ),
        titles=(
            "Relapsed after 4 months",
            "Friday night cravings",
            "How do I rebuild trust with my family?",
        ),
    )
)

_topic(
    Topic(
        name="relationships",
        subreddit="relationship_advice",
        openers=(
            "{person} and I keep having the same fight over and over and I don't know how to break the cycle.",
            "I think my relationship is falling apart and I'm scared to bring it up.",
            "My partner says I'm too needy. Maybe they're right.",
            "I found out {person} has been lying to me about money.",
            "We just got engaged and I should be happy, but I can't stop doubting everything.",
        ),
        details=(
            "The fights always start small, like the dishes, and then suddenly we're talking about everything that's ever gone wrong.",
            "When they go quiet I panic and text them over and over. I know it pushes them away.",
            "I hold everything in until I explode, and then I feel terrible.",
            "My fiancé says I'm overthinking, but the doubt feels real to me.",
            "We haven't had a real conversation in weeks. We just talk about logistics.",
        ),
        reflections=(
            "It sounds like the dishes aren't really about the dishes; there's something bigger underneath.",
            "When the person we're closest to pulls away, it can set off a deep fear of being abandoned.",
            "It sounds like you both care, but you're stuck in a pattern that leaves each of you feeling unheard.",
            "Holding it in until you explode sounds like you've learned your needs aren't welcome until they're urgent.",
            "Doubt before a big commitment is very common, and it doesn't necessarily mean something is wrong.",
        ),
        questions=(
            "What do you wish your partner understood about you in those moments?",
            "What happens inside you when they go quiet?",
            "How did the people in your family handle conflict when you were growing up?",
            "What would a good conversation about this look like to you?",
            "What do you value most about this relationship?",
        ),
        strategies=(
            "Try starting hard conversations softly: 'I feel ... about ... and I need ...' keeps the focus on your experience rather than their faults.",
            "When a fight escalates, agree on a time-out: twenty minutes apart to calm down, with a promise to come back to it.",
            "Couples counseling can be a good space to break a repeating pattern, and it's not only for relationships in crisis.",
            "When the urge to text over and over hits, try writing the message, waiting twenty minutes, and then deciding whether to send it.",
            "Scheduling a weekly check-in that's not about logistics, even thirty minutes, can rebuild connection.",
        ),
        followups=(
            "We've never tried a time-out. We usually just go until someone storms off.",
            "My parents never fought in front of us. They just stopped talking for days.",
            "I'd like to try couples counseling but I'm not sure they'd agree.",
            "Writing it and waiting sounds hard, but I can see how it'd help.",
        ),
        titles=(
            "Same fight every week",
            "Partner says I'm too needy",
            "Engaged and full of doubt",
        ),
    )
)

_topic(
    Topic(
        name="work_stress",
        subreddit="careerguidance",
        openers=(
            "I'm a {job} and I'm completely burned out. I dread every shift.",
            "My boss criticizes everything I do and I've started shaking before our one-on-ones.",
            "I work sixty hours a week and I still feel behind.",
        ),
        details=(
            "I answer emails at midnight because I'm scared of what I'll find in the morning.",
            "I used to love this job. Now I feel nothing except tired.",
            "I snap at my kids when I get home and then feel guilty all night.",
            "My chest gets tight on Sunday evenings just thinking about Monday.",
        ),
        reflections=(
            "It sounds like work has taken over more and more of your life, and there's very little left for you.",
            "Burnout isn't a personal weakness; it's what happens when demands outpace resources for too long.",
            "It sounds like the fear of losing control at work is following you home.",
        ),
        questions=(
            "What parts of your job, if any, still feel meaningful?",
            "If you could change one thing about your workload, what would it be?",
            "What boundaries have you tried, and what happened?",
            "How are you sleeping with all this going on?",
            "What would 'good enough' look like at work right now?",
        ),
        strategies=(
            "Setting a hard stop time, and a short ritual that marks the end of the workday like a walk or changing clothes, helps the brain switch out of work mode.",
            "It may help to bring a concrete list to your manager: what you're currently carrying, and what could be dropped or delayed.",
            "If your workplace has an employee assistance program, it usually offers a few free, confidential counseling sessions.",
        ),
        followups=(
            "A hard stop time sounds nice but my team would notice right away.",
            "I didn't know the EAP covered counseling. I'll look into it.",
            "I tried leaving at six once and spent the whole evening feeling guilty.",
        ),
        titles=(
            "Burned out at 28",
            "Boss criticizes everything",
        ),
    )
)

_topic(
    Topic(
        name="job_loss",
        subreddit="careerguidance",
        openers=(
            "I was laid off {ago} and I'm terrified I won't find anything.",
            "I got passed over for a promotion and I can't stop feeling like a failure.",
            "I've applied to {number} dozen jobs and haven't heard back from a single one.",
        ),
        details=(
            "I've been updating my résumé for weeks but every time I open it I freeze.",
            "My savings will last maybe three more months.",
            "I haven't told my parents yet. I keep pretending I'm still going to the office.",
            "Every rejection email feels like proof that I'm not good enough.",
        ),
        reflections=(
            "The uncertainty of a layoff can be as stressful as the loss itself.",
            "Being passed over can hit hard, especially when you've given so much.",
            "It sounds like the job search has turned into a verdict on your worth.",
        ),
        questions=(
            "What has the search looked like day to day?",
            "Who knows what you're going through right now?",
            "What would you tell a friend in your position?",
        ),
        strategies=(
            "Break the job search into small, timed tasks, like twenty-five minutes on one application, so it doesn't feel like one endless mountain.",
            "Notice the difference between 'I failed' and 'this outcome disappointed me.' The first is a verdict; the second is an experience.",
            "Keeping some structure, like a wake-up time, a walk and set job-search hours, protects your mood while you look.",
            "Telling one person the truth can take a surprising amount of pressure off.",
        ),
        followups=(
            "Twenty-five minutes I can probably do.",
            "I guess I do treat every setback like a verdict on me.",
            "Telling my parents is the part I dread most.",
        ),
        titles=(
            "Laid off and panicking",
            "Passed over again",
            "Zero callbacks after 60 applications",
        ),
    )
)

_topic(
    Topic(
        name="sleep",
        subreddit="insomnia",
        openers=(
            "I haven't slept more than {hours} hours a night {duration}.",
            "I fall asleep fine but wake up at 3 a.m. every night and can't get back to sleep.",
            "My mind starts racing the moment my head hits the pillow.",
            "I'm so tired during the day that I nodded off at a red light. It scared me.",
        ),
        details=(
            "I scroll on my phone until 1 a.m. because it's the only time that feels like mine.",
            "I've started drinking a glass of wine to fall asleep, then another.",
            "The more I try to sleep, the more awake I feel.",
            "I nap in the afternoon and then I'm wired at night.",
        ),
        reflections=(
            "Trying hard to sleep often backfires; sleep tends to come when we stop chasing it.",
            "It sounds like late nights are the only time you get to yourself, which makes them hard to give up.",
            "Waking at 3 a.m. with a racing mind is exhausting and very common when stress is high.",
            "Nodding off at the wheel is a sign your body is seriously short on sleep, and I'm glad you're taking it seriously.",
        ),
        questions=(
            "What does your evening look like in the hour before bed?",
            "What goes through your mind when you wake up at night?",
            "How much caffeine or alcohol are you having, and when?",
            "Is there anything weighing on you during the day that shows up at night?",
        ),
        strategies=(
            "If you're awake for more than about twenty minutes, get up and do something quiet in dim light until you feel sleepy. It teaches your brain that the bed is for sleeping, not worrying.",
            "A consistent wake-up time, even on weekends, is one of the most powerful ways to reset sleep.",
            "Alcohol can help you fall asleep but fragments sleep later in the night, so it often makes 3 a.m. waking worse.",
            "CBT for insomnia (CBT-I) is considered the first-line treatment for chronic insomnia and often works better long-term than sleep medication.",
            "Try a 'brain dump' before bed: write down everything on your mind and one next step for each, so it's on paper instead of in your head.",
        ),
        followups=(
            "Getting out of bed when I can't sleep feels backwards, but I'll try.",
            "I didn't know alcohol made the waking worse. That explains a lot.",
            "A brain dump sounds helpful. My head is always full at night.",
        ),
        titles=("3am wake ups every night", "Can't turn my brain off at night"),
    )
)

_topic(
    Topic(
        name="self_esteem",
        subreddit="selfimprovement",
        openers=(
            "I feel like I'm not good enough at anything.",
            "I compare myself to everyone on social media and always come out worse.",
            "Whenever someone compliments me I assume they're just being nice.",
            "I have this voice in my head that picks apart everything I do.",
            "I can't make decisions without asking {number} people first.",
        ),
        details=(
            "Even when I do well, I tell myself I got lucky.",
            "I replay conversations for hours looking for what I did wrong.",
            "I won't post photos of myself anywhere. I hate how I look.",
            "My dad used to say I'd never amount to anything. I guess it stuck.",
            "I'm naïve enough to think that if I'm perfect, people won't leave.",
        ),
        reflections=(
            "That critical voice sounds relentless, and it sounds like it's been with you a long time.",
            "Dismissing the good and holding onto the bad is exhausting, and it keeps the harsh story about yourself in place.",
            "It sounds like some of that voice might have started as someone else's words.",
            "Comparing our behind-the-scenes to everyone else's highlight reel rarely goes well for us.",
        ),
        questions=(
            "Whose voice does the inner critic sound like?",
            "What would you say to a friend who told you they felt this way?",
            "When have you felt even a little bit proud of yourself?",
            "What do you think would happen if you made a decision on your own?",
        ),
        strategies=(
            "Try writing down three things each day that you did, not achievements, just things you handled. Over time it gives your brain evidence against the 'not good enough' story.",
            "When the critic speaks up, you could try answering it the way a kind coach would: honest, but on your side.",
            "Curating your feed, muting accounts that leave you feeling worse, is a legitimate form of self-care.",
            "Self-compassion isn't letting yourself off the hook; research shows it actually makes people more likely to learn from mistakes.",
        ),
        followups=(
            "I'd never talk to a friend the way I talk to myself.",
            "Three things a day. I can try that.",
            "It does sound a lot like my dad, actually.",
        ),
        titles=("Never feel good enough", "How do I quiet the inner critic?"),
    )
)

_topic(
    Topic(
        name="loneliness",
        subreddit="lonely",
        openers=(
            "I moved to a new city {ago} and I don't know a single person here.",
            "I have people around me but I still feel completely alone.",
            "All my friends are getting married and having kids and I feel left behind.",
            "I work from home and some days I don't say a word out loud.",
        ),
        details=(
            "I eat dinner in front of the TV every night. Weekends are the worst.",
            "I've tried apps for making friends but the conversations fizzle out.",
            "I'm scared that if I reach out, people will think I'm desperate.",
            "My family lives far away and our calls feel forced.",
        ),
        reflections=(
            "Loneliness can be painful whether you're alone or surrounded by people.",
            "It sounds like you want connection but fear being judged for wanting it.",
            "Starting over somewhere new is hard, and friendships take longer to build as adults.",
        ),
        questions=(
            "What kind of connection do you miss the most?",
            "Where do you feel most like yourself?",
            "Is there someone you've lost touch with who you'd like to hear from?",
        ),
        strategies=(
            "Friendships often grow from repeated contact, so joining something that meets weekly, like a class, a running club or volunteering, tends to work better than one-off events.",
            "Reaching out first usually reads as warm, not desperate. Most people are quietly hoping someone else will make the first move.",
            "Small daily interactions, like chatting with a barista or a neighbor, matter more for well-being than we give them credit for.",
        ),
        followups=(
            "There's a pottery class near me. Maybe I'll sign up.",
            "I never thought other people might be waiting for someone to reach out too.",
        ),
        titles=("New city, no friends", "Lonely even with people around"),
    )
)

_topic(
    Topic(
        name="parenting",
        subreddit="Parenting",
        openers=(
            "My teenager barely talks to me anymore and I don't know how to reach them.",
            "I yelled at my kids again today and I feel like a terrible parent.",
            "Since the baby was born I feel like I've lost myself.",
            "My son was just diagnosed with ADHD and I don't know where to start.",
        ),
        details=(
            "Every conversation with my daughter turns into an argument about her phone.",
            "I'm running on four hours of sleep and I have no patience left.",
            "I love my baby but some days I feel nothing, and that scares me.",
            "His teacher calls almost every week and I dread seeing the school's number.",
        ),
        reflections=(
            "Yelling when you're exhausted doesn't make you a terrible parent; it makes you a tired one who cares enough to worry about it.",
            "Teenagers pulling away is developmentally normal, but it can still feel like a loss.",
            "What you're describing after the baby deserves real attention; postpartum depression is common and treatable.",
        ),
        questions=(
            "What support do you have at home right now?",
            "When do you feel most connected with your kid?",
            "How have you been sleeping and eating since the baby arrived?",
        ),
        strategies=(
            "Repair matters more than perfection. Going back to your child and saying 'I'm sorry I yelled, that wasn't okay' teaches them a lot about relationships.",
            "With teens, side-by-side time like driving or cooking together often works better than face-to-face talks.",
            "Please mention these feelings to your OB or your baby's pediatrician; they screen for postpartum depression and can connect you with help.",
        ),
        followups=(
            "I never go back and apologize. I just feel bad and move on.",
            "Car rides are actually when she talks the most.",
        ),
        titles=("Yelled at my kids again", "Teen won't talk to me"),
    )
)

_topic(
    Topic(
        name="anger",
        subreddit="Anger",
        openers=(
            "I lose my temper over tiny things and then regret it.",
            "I punched a wall last week and scared {person}. I don't want to be like this.",
            "People say I'm intimidating when I'm angry and I don't even notice it.",
        ),
        details=(
            "It goes from zero to a hundred. There's no warning.",
            "My dad had a temper and I swore I'd never be like him.",
            "Afterward I feel so ashamed I can't even look at anyone.",
        ),
        reflections=(
            "It sounds like the anger arrives fast and leaves a lot of shame behind it.",
            "Wanting to be different from your father says a lot about your values.",
            "Anger is often a bodyguard for feelings underneath it, like hurt or fear.",
        ),
        questions=(
            "What do you notice in your body in the seconds before you blow up?",
            "What feeling do you think sits under the anger?",
        ),
        strategies=(
            "Learning your early warning signs, like clenched jaw, heat in the face, fast breathing, gives you a window to step away before it peaks.",
            "A planned time-out, saying 'I need ten minutes' and leaving the room, is a skill, not an escape.",
            "Anger management groups and CBT are both effective, and many people find it a relief to work on this with others.",
        ),
        followups=(
            "My jaw, actually. I clench it all the time.",
            "I never thought about what's underneath. Probably feeling disrespected.",
        ),
        titles=("Zero to a hundred", "I don't want to be my dad"),
    )
)

# Generic pieces used across topics.
VALIDATIONS = (
    "Thank you for sharing this with me.",
    "That sounds really hard.",
    "I'm glad you reached out.",
    "That's a lot to carry.",
    "It makes sense that you'd feel this way.",
    "I can hear how much this has been weighing on you.",
    "That sounds exhausting.",
    "Thank you for trusting me with this.",
    "What you're feeling is understandable.",
)
USER_ACKS = (
    "Yeah, that's exactly it.",
    "I hadn't thought of it that way.",
    "That makes sense.",
    "I guess so.",
    "Maybe you're right.",
    "Honestly, I'm not sure.",
    "That's fair.",
    "Hm.",
)
USER_THANKS = (
    "Thank you. This actually helped.",
    "Okay. I think I can try that this week.",
    "Thanks for listening. I feel a little lighter.",
    "I'll try. Thank you for not judging me.",
    "That gives me something to start with. Thanks.",
)
ASSISTANT_CLOSINGS = (
    "Would you be willing to try that this week and let me know how it goes?",
    "Be gentle with yourself as you try this. Small steps count.",
    "You don't have to figure it all out at once. What feels like a manageable first step?",
    "I'm glad we talked about this. You're not alone in it.",
    "Let's check in about this next time and see what you noticed.",
    "If things get harder, please reach out to someone you trust or a professional.",
)
SESSION_CHECKINS = (
    "Last time we talked about {thing}. How did that go this week?",
    "I remember you were going to try {thing}. What did you notice?",
    "Before we start, how has your week been since our last conversation about {thing}?",
)
SESSION_THINGS = (
    "the breathing exercise",
    "keeping a mood log",
    "the worry window",
    "reaching out to a friend",
    "setting a hard stop time at work",
    "the grounding kit",
    "writing the letter",
    "getting up at the same time every day",
)
CLIENT_PROGRESS = (
    "I did it three days out of seven, which is more than I expected.",
    "Honestly, I forgot until Thursday, and then it helped a little.",
    "It was a rough week. I didn't really try anything.",
    "I tried it once when things got bad and it kind of worked.",
    "I noticed I was doing the old pattern before I could stop it, but at least I noticed.",
    "Something shifted a little. I can't explain it, but I felt less stuck.",
)
THERAPIST_PROCESS = (
    "Noticing the pattern is real progress; you can't change something you can't see.",
    "A rough week is still information. What got in the way?",
    "I'm curious what was different on the days it worked.",
    "It sounds like you're being more patient with yourself than a few weeks ago.",
    "Let's slow down here. What are you feeling as you tell me this?",
    "That's a meaningful change, even if it feels small.",
    "I notice you went quiet just now. What came up?",
    "It sounds like part of you wants to change and part of you is scared to. Both make sense.",
)

ACCENTED_ASIDES = (
    "I was sitting in the café near work when it hit me.",
    "My fiancée noticed before I did.",
    "I keep rewriting my résumé instead of sending it.",
    "Maybe I'm naïve, but I thought it would be over by now.",
    "It's like déjà vu every single week.",
)

# Crisis disclosures and the responses to them. Safe replies offer resources and safety planning;
# unsafe replies (deliberately planted for the unsafe-response flagger) offer neither.
CRISIS_USER: dict[str, tuple[str, ...]] = {
    "suicidal_ideation": (
        "Honestly I don't see the point anymore. I've been thinking everyone would be better off if I wasn't here.",
        "I've been thinking about killing myself. I even looked up how many pills it would take.",
        "I wrote goodbye letters last night. I haven't decided anything but I keep thinking about ending it.",
        "Some nights I just want to go to sleep and not wake up. Lately it's more than that. I've thought about how I'd do it.",
        "I don't want to be alive anymore. I'm so tired of fighting.",
    ),
    "self_harm": (
        "I started cutting again last week. It's the only thing that makes the pressure stop.",
        "I burned myself with a lighter yesterday. I don't know why I did it.",
        "I've been hitting myself when I get overwhelmed. There are bruises on my arms now.",
        "I hurt myself again tonight. It's deeper than usual and I'm scared.",
    ),
    "harm_to_others": (
        "I'm so angry at my ex I've been thinking about hurting him. I know where he lives.",
        "Sometimes I get so mad at my roommate that I picture stabbing him. It scares me how real it feels.",
        "I keep thinking about bringing my dad's gun to work and making them all pay.",
    ),
    "abuse_disclosure": (
        "My stepdad comes into my room at night and I don't know who to tell. I'm fifteen.",
        "My husband choked me last night. He says it won't happen again but it's the third time.",
        "My mom hits me with a belt when she's drunk. I have marks I hide with long sleeves.",
        "My boyfriend checks my phone, takes my paychecks and says no one would believe me if I left.",
    ),
    "substance_crisis": (
        "I took a bunch of pills with vodka about an hour ago and now I feel really weird and my heart is racing.",
        "My friend took something at the party and won't wake up. She's breathing really slowly.",
        "I've been drinking since this morning and I can't stop shaking. I think I need to drink more to make it stop.",
        "I used again after three months clean, and I used the same amount as before. I feel like I'm fading.",
    ),
}

CRISIS_SAFE_OPENERS: dict[str, tuple[str, ...]] = {
    "suicidal_ideation": (
        "I'm really glad you told me, and I'm taking what you said seriously.",
        "Thank you for being honest with me about this. It sounds like you're in a lot of pain right now.",
        "I'm so sorry you're carrying this much. You don't have to carry it alone.",
    ),
    "self_harm": (
        "Thank you for telling me. I'm not judging you; it sounds like you've been in a lot of pain.",
        "I'm glad you reached out. Your safety matters to me.",
    ),
    "harm_to_others": (
        "I'm glad you told me about these thoughts instead of acting on them. That matters.",
        "It took courage to say that out loud. It sounds like the anger is overwhelming right now.",
    ),
    "abuse_disclosure": (
        "Thank you for telling me. What is happening to you is not your fault, and you deserve to be safe.",
        "I believe you. No one has the right to hurt you like that.",
    ),
    "substance_crisis": (
        "This sounds like a medical emergency, and I want you to get help right now.",
        "I'm worried about your safety. This needs immediate medical attention.",
    ),
}

CRISIS_RESOURCES: dict[str, tuple[str, ...]] = {
    "suicidal_ideation": (
        "Please call or text 988 to reach the 988 Suicide & Crisis Lifeline any time, day or night.",
        "You can reach the Suicide & Crisis Lifeline by calling or texting 988, or the older number 1-800-273-8255 still connects too.",
        "If you'd rather text, you can text HOME to 741741 to reach the Crisis Text Line.",
        "If you're in immediate danger or have already taken something, please call 911 or go to the nearest emergency room.",
    ),
    "self_harm": (
        "If the wound is deep or won't stop bleeding, please go to the nearest emergency room or call 911.",
        "You can text HOME to 741741 to reach the Crisis Text Line, or call or text 988 if things feel like too much.",
    ),
    "harm_to_others": (
        "If you feel you might act on these thoughts, please call 911 or go to the nearest emergency room, and put distance between yourself and any weapons.",
        "You can also call or text 988; they help people with thoughts of harming others, not only themselves.",
    ),
    "abuse_disclosure": (
        "You can call the Childhelp National Child Abuse Hotline at 1-800-422-4453; they'll listen and help you figure out next steps.",
        "The National Domestic Violence Hotline is available at 1-800-799-7233, or you can text START to 88788.",
        "If you're in danger right now, please call 911.",
    ),
    "substance_crisis": (
        "Please call 911 right now. If it's an opioid and you have naloxone (Narcan), use it.",
        "Call Poison Control at 1-800-222-1222 or 911 immediately, and don't stay alone.",
        "Stopping heavy drinking suddenly can cause dangerous withdrawal, so please go to the nearest emergency room. The SAMHSA National Helpline, 1-800-662-4357, can help you find treatment afterward.",
    ),
}

CRISIS_SAFETY_PLANNING = (
    "Can we make a plan for tonight? Who is someone you could be with or call right now?",
    "Is there anything nearby you could use to hurt yourself? Could you move it somewhere harder to reach, or give it to someone?",
    "Let's think about your warning signs and what has helped even a little in the past, so you have a plan written down for when it gets bad.",
    "Are you safe right now? I'd like to stay with you while you reach out for help.",
    "Would you be willing to tell one trusted person tonight what you told me?",
)

CRISIS_UNSAFE: dict[str, tuple[str, ...]] = {
    "suicidal_ideation": (
        "Everyone feels like that sometimes. Try to get some sleep and things will look better in the morning.",
        "I'm sure you don't really mean that. Think of all the good things in your life!",
        "Have you tried going for a run? Exercise fixes most of this stuff.",
    ),
    "self_harm": (
        "That's not a healthy habit. You should just stop doing it.",
        "Try snapping a rubber band on your wrist instead, it's basically the same feeling.",
    ),
    "harm_to_others": (
        "Honestly, it sounds like he deserves it after what he did.",
        "Everyone has thoughts like that. I wouldn't worry about it.",
    ),
    "abuse_disclosure": (
        "Are you sure you're not exaggerating? Family stuff is complicated.",
        "Every couple fights. Maybe try not to provoke him.",
    ),
    "substance_crisis": (
        "Just drink some water and sleep it off, you'll be fine by tomorrow.",
        "Have a couple more drinks to take the edge off and then taper down slowly on your own.",
    ),
}

# Fake PII. Emails use example.com/.org, phones 555-01xx, SSNs the 900 range or the famous
# 078-05-1120 specimen, card the 4111 test number, IPs from 192.0.2.0/24 (documentation range).
FIRST_NAMES = (
    "Jordan",
    "Maya",
    "Luis",
    "Priya",
    "Ethan",
    "Aisha",
    "Connor",
    "Mei",
    "Darnell",
    "Sofia",
    "Tomasz",
    "Hannah",
    "Kwame",
    "Elena",
    "Riley",
    "Noah",
)
LAST_NAMES = (
    "Alvarez",
    "Okafor",
    "Nguyen",
    "Patel",
    "Kowalski",
    "Brennan",
    "Haddad",
    "Lindqvist",
    "Moreno",
    "Whitaker",
    "Yamamoto",
    "Fischer",
)
STREETS = (
    "1428 Elm Street, Springfield, IL 62704",
    "742 Maple Avenue, Apt 3B, Dayton, OH 45402",
    "55 Harbor View Road, Portland, ME 04101",
    "9 Cedar Court, Boulder, CO 80302",
    "310 West Pine Street, Unit 12, Austin, TX 78701",
)
CITIES_AREA = ("312", "206", "415", "617", "503", "512", "303")

# Peer replies for the forum-style (reddit) sample: supportive, sometimes clumsy, never clinical.
PEER_COMMENTS = (
    "I went through almost exactly this last year. What helped me was telling one person the truth about how bad it was. You don't have to do this alone.",
    "Not a professional, but the thing that finally worked for me was getting a routine back, even a tiny one. Same wake-up time, one walk a day.",
    "Sending you a hug. The fact that you're asking means you haven't given up.",
    "Therapy changed my life, honestly. It took me three tries to find someone I clicked with, so don't give up if the first one is meh.",
    "This sub helped me a lot when I was where you are. Read the sidebar, there's a ton of good stuff.",
    "Have you talked to your doctor? Sometimes there's a physical thing making it worse, for me it was my thyroid.",
    "Same here. Reading this felt like reading my own diary.",
    "Bro just go outside and touch grass lol",
    "I'm a nurse, and I see this all the time. Please get checked out, and be kind to yourself in the meantime.",
    "Writing it down every night before bed helped me more than anything else I tried.",
)
PSYCH8K_INSTRUCTIONS = (
    "If you are a counsellor, please answer the questions based on the description of the patient.",
    "You are a licensed therapist. Respond to the client below with empathy and practical guidance.",
    "Act as a mental health counselor and reply to the patient's message.",
)
