# ruff: noqa: E501
"""Clinical vignettes for the chain-of-thought reasoning sample (original writing).

Each condition lists presenting features, typical durations and the reasoning steps a careful
clinician would walk through. The answers always stop short of a diagnosis and point to a
professional assessment, as the registry's system prompts require.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Condition:
    name: str
    symptoms: tuple[str, ...]
    durations: tuple[str, ...]
    contexts: tuple[str, ...]
    core: str  # what the core criteria look for
    threshold: str  # the duration/number threshold
    differentials: tuple[str, ...]
    medical: str  # medical causes to rule out
    next_steps: str


CONDITIONS: tuple[Condition, ...] = (
    Condition(
        name="major depressive disorder",
        symptoms=(
            "low mood most of the day",
            "loss of interest in activities they used to enjoy",
            "waking at 4 a.m. and being unable to fall back asleep",
            "unintended weight loss",
            "trouble concentrating at work",
            "feelings of worthlessness",
            "constant fatigue",
            "moving and speaking more slowly than usual",
        ),
        durations=("for five weeks", "for about two months", "since early autumn"),
        contexts=(
            "after a divorce",
            "with no clear trigger",
            "after a move to a new city",
            "following a job loss",
        ),
        core="Depressed mood or loss of interest must be present, plus enough additional symptoms (sleep, appetite, energy, concentration, worthlessness, psychomotor change, thoughts of death) to total five",
        threshold="at least two weeks, nearly every day",
        differentials=(
            "adjustment disorder with depressed mood",
            "persistent depressive disorder",
            "bipolar II disorder (a history of hypomania must be asked about)",
            "grief",
        ),
        medical="hypothyroidism, anemia, vitamin B12 deficiency and medication side effects",
        next_steps="An assessment by a licensed clinician, a suicide risk screen, and basic bloodwork through a primary care doctor would be appropriate",
    ),
    Condition(
        name="generalized anxiety disorder",
        symptoms=(
            "worrying about many different things most days",
            "difficulty controlling the worry",
            "muscle tension in the neck and shoulders",
            "restlessness",
            "irritability",
            "trouble falling asleep because of worry",
            "feeling easily fatigued",
        ),
        durations=(
            "for over a year",
            "for about eight months",
            "for as long as they can remember, worse in the last seven months",
        ),
        contexts=(
            "while starting a demanding new job",
            "with no single trigger",
            "since becoming a parent",
        ),
        core="Excessive, hard-to-control worry about several areas of life, with at least three of restlessness, fatigue, poor concentration, irritability, muscle tension and sleep disturbance",
        threshold="six months or more, more days than not",
        differentials=(
            "panic disorder (are there discrete attacks?)",
            "social anxiety disorder (is the fear mainly about evaluation?)",
            "obsessive-compulsive disorder",
            "depression with anxious features",
        ),
        medical="hyperthyroidism, caffeine or stimulant use, and cardiac arrhythmias",
        next_steps="A clinical interview with a validated measure such as the GAD-7, and a discussion of CBT as a first-line treatment, would be reasonable next steps",
    ),
    Condition(
        name="panic disorder",
        symptoms=(
            "sudden surges of intense fear peaking within minutes",
            "a pounding heart and chest tightness",
            "shortness of breath",
            "tingling in the hands",
            "a fear of dying during the episodes",
            "persistent worry about having another attack",
            "avoiding driving on the highway",
        ),
        durations=("for three months", "since a first attack in the spring", "for about ten weeks"),
        contexts=(
            "after an ER visit where the heart workup was normal",
            "with attacks that seem to come out of the blue",
        ),
        core="Recurrent unexpected panic attacks followed by persistent concern about more attacks or a change in behaviour to avoid them",
        threshold="at least one month of worry or avoidance after an attack",
        differentials=(
            "agoraphobia (often co-occurs)",
            "generalized anxiety disorder",
            "specific phobia",
            "substance-induced anxiety",
        ),
        medical="cardiac conditions, asthma, hyperthyroidism and stimulant use; the normal cardiac workup is reassuring but should be confirmed",
        next_steps="Psychoeducation about the panic cycle and CBT with interoceptive exposure are well supported; a licensed clinician should confirm the picture",
    ),
    Condition(
        name="post-traumatic stress disorder",
        symptoms=(
            "intrusive memories of the event",
            "nightmares several nights a week",
            "avoiding anything that reminds them of it",
            "feeling detached from family",
            "an exaggerated startle response",
            "trouble sleeping",
            "persistent guilt about what happened",
        ),
        durations=("for four months", "since the accident last year", "for about six months"),
        contexts=(
            "after a serious motor-vehicle accident",
            "after witnessing a violent assault",
            "after a house fire",
        ),
        core="Exposure to a traumatic event followed by intrusion symptoms, avoidance, negative changes in thinking and mood, and changes in arousal and reactivity",
        threshold="more than one month after the event",
        differentials=(
            "acute stress disorder (if under one month)",
            "adjustment disorder",
            "major depressive disorder",
            "complex PTSD if there was prolonged, repeated trauma",
        ),
        medical="traumatic brain injury from the same event, chronic pain and substance use",
        next_steps="Trauma-focused therapy such as prolonged exposure, cognitive processing therapy or EMDR has strong evidence; an assessment with a tool like the PCL-5 by a clinician would be the next step",
    ),
    Condition(
        name="complex post-traumatic stress disorder",
        symptoms=(
            "emotional flashbacks where they suddenly feel small and ashamed",
            "a harsh inner critic",
            "difficulty trusting anyone",
            "feeling permanently different from other people",
            "strong emotions that are hard to regulate",
            "people-pleasing and trouble saying no",
            "periods of feeling numb or unreal",
        ),
        durations=("for most of their adult life", "for years, worse since a recent breakup"),
        contexts=(
            "after years of emotional abuse and neglect in childhood",
            "after growing up with a parent with severe alcohol use",
        ),
        core="The core PTSD features plus disturbances in self-organisation: emotion dysregulation, a persistently negative self-concept, and difficulties in relationships (ICD-11)",
        threshold="symptoms lasting several weeks with significant impairment, following prolonged or repeated trauma",
        differentials=(
            "PTSD",
            "borderline personality disorder (overlapping features, but the self-concept is typically more stable and negative in CPTSD)",
            "recurrent depression",
            "dissociative disorders",
        ),
        medical="substance use and sleep disorders that may amplify the symptoms",
        next_steps="A phased, trauma-informed approach that starts with safety and stabilisation is usually recommended, under the care of a clinician experienced with complex trauma",
    ),
    Condition(
        name="insomnia disorder",
        symptoms=(
            "taking over an hour to fall asleep",
            "waking two or three times a night",
            "daytime fatigue",
            "irritability at work",
            "worrying about sleep all evening",
            "using weekend lie-ins to catch up",
        ),
        durations=("for five months", "for nearly a year", "since a stressful exam period"),
        contexts=("working rotating shifts", "with no shift work", "after the birth of a child"),
        core="Dissatisfaction with sleep quantity or quality, with difficulty initiating or maintaining sleep, causing daytime impairment despite adequate opportunity to sleep",
        threshold="at least three nights a week for at least three months",
        differentials=(
            "sleep apnea (ask about snoring and gasping)",
            "circadian rhythm disorder (especially with shift work)",
            "depression or anxiety driving the insomnia",
            "restless legs syndrome",
        ),
        medical="sleep apnea, chronic pain, reflux, caffeine, alcohol and medications",
        next_steps="CBT-I is the recommended first-line treatment; a sleep diary for two weeks and screening for sleep apnea would help a clinician confirm the picture",
    ),
    Condition(
        name="bipolar II disorder",
        symptoms=(
            "several depressive episodes lasting weeks",
            "a few days at a time of needing only three hours of sleep and feeling great",
            "talking fast and starting many projects during those days",
            "spending money impulsively during the high periods",
            "friends noticing they seem 'wired'",
        ),
        durations=("over the past three years", "since their early twenties"),
        contexts=(
            "previously treated for depression with an antidepressant that made them agitated",
            "with a parent who had similar mood swings",
        ),
        core="At least one hypomanic episode (elevated or irritable mood with increased energy for at least four days) and at least one major depressive episode, with no full manic episode",
        threshold="hypomania lasting four consecutive days or more",
        differentials=(
            "major depressive disorder (the hypomania history changes the picture)",
            "cyclothymic disorder",
            "ADHD",
            "substance-induced mood changes",
        ),
        medical="thyroid disease, stimulant use and steroid medications",
        next_steps="A careful mood history, ideally with input from someone close to them, and a psychiatric evaluation before any antidepressant is continued would be important",
    ),
    Condition(
        name="social anxiety disorder",
        symptoms=(
            "intense fear of being judged in meetings",
            "blushing and trembling when speaking up",
            "avoiding the staff kitchen at lunch",
            "replaying conversations for hours afterward",
            "turning down a promotion that involved presenting",
        ),
        durations=("since high school", "for several years"),
        contexts=("in a new open-plan office", "after being mocked during a presentation"),
        core="Marked fear of social situations where one might be scrutinised, with fear of acting in a way that will be negatively evaluated, leading to avoidance or endurance with intense distress",
        threshold="six months or more",
        differentials=(
            "panic disorder",
            "avoidant personality disorder",
            "autism spectrum differences in social communication",
            "depression",
        ),
        medical="tremor disorders and thyroid problems when physical symptoms are prominent",
        next_steps="CBT with graded exposure is effective; a clinician can confirm the picture with a structured interview",
    ),
    Condition(
        name="adjustment disorder",
        symptoms=(
            "tearfulness",
            "trouble focusing",
            "withdrawing from friends",
            "feeling overwhelmed by small decisions",
            "sleeping poorly",
        ),
        durations=("for six weeks", "for about a month"),
        contexts=(
            "since being laid off",
            "after moving across the country for a partner's job",
            "after a difficult diagnosis in the family",
        ),
        core="Emotional or behavioural symptoms in response to an identifiable stressor that are out of proportion to it or impair functioning, without meeting criteria for another disorder",
        threshold="onset within three months of the stressor, resolving within six months after it ends",
        differentials=(
            "major depressive disorder (count the symptoms carefully)",
            "PTSD (if the stressor was traumatic)",
            "normal stress reaction",
        ),
        medical="any medical condition connected to the stressor",
        next_steps="Supportive counselling and problem-solving therapy usually help; monitoring for worsening into depression is important",
    ),
    Condition(
        name="alcohol use disorder",
        symptoms=(
            "drinking more than intended most evenings",
            "several failed attempts to cut down",
            "morning shakiness relieved by a drink",
            "missing work after heavy nights",
            "arguments with their partner about drinking",
            "needing more to feel the same effect",
        ),
        durations=("over the past year", "for about eighteen months"),
        contexts=("since working from home", "after a bereavement"),
        core="A problematic pattern of use with at least two of eleven criteria, including loss of control, craving, social or role problems, tolerance and withdrawal",
        threshold="within a twelve-month period",
        differentials=(
            "depression or anxiety with self-medication",
            "other substance use",
            "bipolar disorder",
        ),
        medical="liver function, and withdrawal risk: morning shakes suggest physical dependence, so stopping abruptly should be medically supervised",
        next_steps="A medical assessment for safe withdrawal, and treatment options including counselling and medication, should be discussed with a doctor",
    ),
)

AGES = ("19", "23", "27", "31", "34", "38", "42", "47", "52", "58", "64")
PERSON_WORDS = (
    "woman",
    "man",
    "non-binary person",
    "graduate student",
    "father of two",
    "mother of three",
    "retired teacher",
    "nurse",
    "software engineer",
    "veteran",
)

COT_SYSTEM_PROMPTS = (
    "You are a clinical reasoning assistant. Think step by step about the presentation, consider differential diagnoses, and never give a definitive diagnosis.",
    "You are an expert in mental health assessment. Reason carefully and explain your thinking before answering.",
)
