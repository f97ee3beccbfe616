"""The course format: pydantic models of `course.yaml` and of each module file.

These models are the contract between course authors (YAML), the validator and loader, and
the player. `docs/course.schema.json` is generated from them. Every node that learners see
has a stable `id`; ids are unique within a course (options: within their question or scenario).
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SCHEMA_VERSION = 1
COURSE_LANGUAGES = ("en", "fr", "es", "ar")

# Estimated time: the rules are part of the format, so authors can predict the figure.
# Words per minute when reading to learn, per language. The ratios follow the standardised
# reading-speed study of Trauzettel-Klosinski et al. (2012): Arabic text carries more per word
# and is read at fewer words per minute than English, French or Spanish.
READING_WORDS_PER_MINUTE = {"en": 180, "fr": 155, "es": 170, "ar": 110}
SECONDS_PER_QUESTION = 45
SECONDS_PER_SCENARIO = 90
SECONDS_PER_REFLECTION = 120
MIN_MINUTES = 30
MAX_MINUTES = 60

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,78}[a-z0-9]$")]
# Like an id, but at most 40 characters: the length of `course_version_tag.tag`.
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$")]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
MODULE_FILE_PATTERN = r"^modules/[A-Za-z0-9_.-]+\.yaml$"
Language = Literal["en", "fr", "es", "ar"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContentNote(Strict):
    """Shown before the first lesson: topics that may be distressing."""

    text: Text


class DurationException(Strict):
    """Allows an estimate outside 30–60 minutes; the validator then warns instead of failing."""

    reason: Text


class CompletionRule(Strict):
    # "all", or the ids of the lessons a learner must open.
    required_lessons: Literal["all"] | list[Id] = "all"
    # Percentage of knowledge-check questions answered correctly (latest attempt of each).
    pass_mark: Annotated[int, Field(ge=0, le=100)] = 80


class Course(Strict):
    """`courses/<id>/course.yaml`."""

    schema_version: Literal[1]
    id: Id
    language: Language
    version: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    title: Text
    summary: Text
    objectives: Annotated[list[Text], Field(min_length=1)]
    audience: Text
    tags: Annotated[list[Tag], Field(min_length=1)]
    completion: CompletionRule = CompletionRule()
    content_note: ContentNote | None = None
    help: Text  # Markdown: where to get help (support lines, the learner's focal point)
    duration_exception: DurationException | None = None
    modules: Annotated[
        list[Annotated[str, StringConstraints(pattern=MODULE_FILE_PATTERN)]],
        Field(min_length=1),
    ]


class TextBlock(Strict):
    type: Literal["text"]
    id: Id
    body: Text  # Markdown, no raw HTML


class ImageBlock(Strict):
    type: Literal["image"]
    id: Id
    src: Text  # path under the course folder (e.g. media/x.svg): the site shows only images it serves
    alt: Text
    caption: Text | None = None


class MediaBlock(Strict):
    type: Literal["audio", "video"]
    id: Id
    src: Text
    duration_seconds: Annotated[int, Field(gt=0, le=4 * 3600)]
    transcript: Text  # Markdown
    caption: Text | None = None


class CalloutBlock(Strict):
    type: Literal["callout"]
    id: Id
    style: Literal["tip", "info", "warning"] = "tip"
    title: Text | None = None
    body: Text  # Markdown


class KeyPointsBlock(Strict):
    type: Literal["key_points"]
    id: Id
    title: Text | None = None
    points: Annotated[list[Text], Field(min_length=1)]


class ReflectionBlock(Strict):
    type: Literal["reflection"]
    id: Id
    prompt: Text
    hint: Text | None = None


class ScenarioOption(Strict):
    id: Id
    text: Text
    feedback: Text
    best: bool = False


class ScenarioBlock(Strict):
    type: Literal["scenario"]
    id: Id
    title: Text | None = None
    situation: Text  # Markdown
    question: Text
    options: Annotated[list[ScenarioOption], Field(min_length=2)]


class QuestionOption(Strict):
    id: Id
    text: Text
    correct: bool = False
    feedback: Text


class Question(Strict):
    id: Id
    kind: Literal["single", "multiple"]
    prompt: Text
    options: Annotated[list[QuestionOption], Field(min_length=2)]


class KnowledgeCheckBlock(Strict):
    type: Literal["knowledge_check"]
    id: Id
    title: Text | None = None
    questions: Annotated[list[Question], Field(min_length=1)]


Block = Annotated[
    TextBlock
    | ImageBlock
    | MediaBlock
    | CalloutBlock
    | KeyPointsBlock
    | ReflectionBlock
    | ScenarioBlock
    | KnowledgeCheckBlock,
    Field(discriminator="type"),
]
# Every block type, in the order of the union above.
BLOCK_TYPES: tuple[str, ...] = tuple(
    value
    for model in get_args(get_args(Block)[0])
    for value in get_args(model.model_fields["type"].annotation)
)


class Lesson(Strict):
    id: Id
    title: Text
    blocks: Annotated[list[Block], Field(min_length=1)]


class Module(Strict):
    """`courses/<id>/modules/<file>.yaml`."""

    schema_version: Literal[1]
    id: Id
    title: Text
    lessons: Annotated[list[Lesson], Field(min_length=1)]


class TranslationEntry(Strict):
    text: Text
    # First 12 hex digits of SHA-256 of the source text (stripped, UTF-8) it was translated from.
    source_hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{12}$")]


class Translation(Strict):
    """`<file>.<lang>.yaml` beside a course or module file: translated text keyed by id path."""

    schema_version: Literal[1]
    language: Language
    strings: dict[str, TranslationEntry]
