"""The record models: the one place where every field of ptedb is defined.

Everything else — the JSON Schema files beside this module, the pandera table schemas, the DuckDB
`COMMENT ON` text, the Arrow field metadata, datapackage.json and the site's field reference — is
projected from these classes. Change a field here and regenerate; never describe it a second time.

They are plain pydantic models. (They were SQLModel classes at first; SQLModel's initialisation wrapper
made validating 10,000 records 3.3× slower — 0.49 s against 0.15 s — and its SQLAlchemy import added
0.35 s to every command, while the DuckDB DDL is generated from the column registry anyway.)

Models are strict (no silent string-to-number coercion: a quoted "17.9" is a type error, because in a
hand-edited YAML file it is almost always a mistake) and closed (`extra="forbid"`: an unknown key is
reported, with a suggestion, rather than dropped).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SCHEMA_VERSION = 1
"""The record schema version this code reads. Bumped on any breaking change to a record model."""

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=100)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
URL_PATTERN = r"^https?://[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+$"
"""An address in RFC 3986's characters only (percent-encode the rest): no space, quote, angle bracket,
backslash, control or bidirectional-override character can then reach an `href`, a terminal or a
spreadsheet. One regex that pydantic (Rust), `re` and JSON Schema (ECMA 262) all read alike."""
Url = Annotated[str, StringConstraints(pattern=URL_PATTERN, max_length=2_000)]

CATEGORY_TEXT: dict[str, tuple[str, str]] = {
    "tool-use": (
        "Tool use",
        "The model calls external tools (calculators, code interpreters, search engines, retrievers, "
        "APIs) and uses their results in its answer.",
    ),
    "prompting": (
        "Prompting",
        "Changes to the input alone: exemplars, instructions, or asking for intermediate reasoning; no "
        "training and usually little extra inference compute.",
    ),
    "scaffolding": (
        "Scaffolding",
        "Programs around the model that call it repeatedly: planning, reflection, self-critique, "
        "agent loops and search over the model's own outputs.",
    ),
    "solution-choice": (
        "Solution choice",
        "Generating many candidate answers and choosing among them: majority voting, verifiers, "
        "reward models, filtering by tests.",
    ),
    "data": (
        "Data",
        "Further training on chosen or generated data after pre-training: instruction tuning, "
        "fine-tuning on reasoning paths, reinforcement learning from feedback.",
    ),
    "efficiency": (
        "Efficiency",
        "Post-training techniques that cut inference compute (quantization, pruning, distillation), "
        "usually at some cost in capability: the other side of the training–inference trade-off.",
    ),
}
"""Each category's display name and what it covers, in the survey's order (efficiency last): the one
list of categories, which the record model, the site and the benchmark generator all read."""
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_TEXT)
Category = Literal[CATEGORIES]  # type: ignore[valid-type]

Status = Literal["active", "deprecated", "withdrawn"]
Unit = Literal["percent", "proportion", "points", "score", "perplexity", "bits-per-byte", "elo", "rate"]


class _Strict(BaseModel):
    """Base of every record part: closed, strict and immutable once loaded."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, validate_default=True)


def _finite(**kw: object) -> object:
    """A float field that rejects NaN and infinities, which YAML would otherwise let through."""
    return Field(allow_inf_nan=False, **kw)  # type: ignore[call-overload]


class SourceRef(_Strict):
    """Where a number was read: the source and the exact place in it."""

    ref: Id = Field(description="Id of a record in records/sources/.")
    locator: ShortText = Field(
        description="Where in the source the number stands: table, figure, section or appendix "
        "(e.g. 'Table 2', 'Appendix H, Table H.1')."
    )


class Record(_Strict):
    """Fields shared by every record file."""

    kind: ClassVar[str]
    folder: ClassVar[str]

    schema_version: int = Field(description="Version of the record schema this file follows (currently 1).")
    id: Id = Field(description="Stable identifier; equal to the file name without '.yaml'. Never reused.")


# --- sources -------------------------------------------------------------------------------------


class Source(Record):
    """A paper, report or web page that numbers are read from."""

    kind: ClassVar[str] = "source"
    folder: ClassVar[str] = "sources"

    title: LongText = Field(description="Title of the work, as published.")
    authors: list[ShortText] = Field(min_length=1, description="Authors in published order.")
    year: int = Field(ge=1950, le=2100, description="Year of publication.")
    url: Url = Field(description="Canonical address of the work (http or https).")
    arxiv: Annotated[str, StringConstraints(pattern=r"^\d{4}\.\d{4,5}$")] | None = Field(
        default=None, description="arXiv identifier without version, e.g. '2201.11903'."
    )
    doi: Annotated[str, StringConstraints(pattern=r"^10\.\d{4,9}/\S+$")] | None = Field(
        default=None, description="Digital Object Identifier, e.g. '10.48550/arXiv.2201.11903'."
    )
    venue: ShortText | None = Field(default=None, description="Journal, conference or publisher.")


# --- models --------------------------------------------------------------------------------------


class TrainingCompute(_Strict):
    """Pre-training compute of a model, with how the figure was obtained."""

    flop: float = _finite(gt=0, description="Pre-training compute in FLOP.")
    basis: Literal["reported", "6ND"] = Field(
        description="'reported': stated by a source; '6ND': derived as 6 × parameters × training tokens."
    )
    derivation: LongText | None = Field(
        default=None, description="How the figure was derived (required when basis is 6ND)."
    )
    source: SourceRef = Field(description="Where the compute, or the N and D it is derived from, was read.")


class Model(Record):
    """A pre-trained model, the base that enhancements are applied to or a point on a scaling curve."""

    kind: ClassVar[str] = "model"
    folder: ClassVar[str] = "models"

    name: ShortText = Field(description="Display name, e.g. 'PaLM 540B'.")
    family: Id = Field(description="Model family shared by all sizes trained the same way, e.g. 'palm'.")
    organization: ShortText | None = Field(default=None, description="Organization that trained the model.")
    parameters: float | None = _finite(default=None, gt=0, description="Number of parameters.")
    training_tokens: float | None = _finite(default=None, gt=0, description="Number of pre-training tokens.")
    training_compute: TrainingCompute | None = Field(
        default=None, description="Pre-training compute; absent when no source states or allows deriving it."
    )
    release_date: Annotated[dt.date, Field(strict=False)] | None = Field(
        default=None, description="Date of first public description (ISO 8601)."
    )
    post_trained_from: Id | None = Field(
        default=None,
        description="Id of the pre-trained model this one descends from by fine-tuning, RL or other post-training; "
        "absent for a pre-trained model. Post-trained models never enter cross-family reference curves.",
    )
    source: SourceRef | None = Field(default=None, description="Where parameters and tokens were read.")
    notes: LongText | None = Field(default=None, description="Free-text remarks.")


# --- benchmarks ----------------------------------------------------------------------------------


class ItemCount(_Strict):
    """How many items the scores on a benchmark are computed over: what a score's sampling error rests on."""

    value: int = Field(ge=1, description="Number of items (questions, problems, tasks) in the split evaluated.")
    split: ShortText | None = Field(
        default=None, description="Which split the evaluations use, e.g. 'test', 'validation (dev)'."
    )
    source: SourceRef = Field(description="Where the size was read.")
    notes: LongText | None = Field(default=None, description="Free-text remarks: subsets, disagreeing sources.")


class Benchmark(Record):
    """A benchmark and how its scores are to be read: unit, direction, range and chance level."""

    kind: ClassVar[str] = "benchmark"
    folder: ClassVar[str] = "benchmarks"

    name: ShortText = Field(description="Display name, e.g. 'GSM8K'.")
    description: LongText | None = Field(default=None, description="What the benchmark measures.")
    metric: ShortText = Field(description="The metric reported, e.g. 'accuracy', 'pass@1', 'perplexity'.")
    unit: Unit = Field(description="Unit of every score on this benchmark (percent is 0–100).")
    higher_is_better: bool = Field(description="True when a higher score is better.")
    min: float = _finite(description="Lowest possible score, in the benchmark's unit.")
    max: float = _finite(description="Highest possible score, in the benchmark's unit.")
    chance: float | None = _finite(
        default=None, description="Score of random guessing, in the benchmark's unit; used by logistic fits."
    )
    url: Url | None = Field(default=None, description="Home page or data of the benchmark.")
    source: SourceRef | None = Field(default=None, description="The work that introduced the benchmark.")
    n_items: ItemCount | None = Field(
        default=None,
        description="Size of the test split the evaluations use, with its source; absent where no source "
        "states one (a perplexity has none).",
    )


# --- baselines -----------------------------------------------------------------------------------


class BaselinePoint(_Strict):
    """One un-enhanced model's score on the baseline's benchmark and setting."""

    model: Id = Field(description="Id of a record in records/models/.")
    score: float = _finite(description="Score, in the benchmark's unit.")


class Baseline(Record):
    """A family's un-enhanced scaling curve: the scores of several sizes on one benchmark and setting."""

    kind: ClassVar[str] = "baseline"
    folder: ClassVar[str] = "baselines"

    family: Id = Field(description="Model family of every point.")
    benchmark: Id = Field(description="Id of a record in records/benchmarks/.")
    setting: ShortText = Field(description="Evaluation setting: shots, prompting, sampling, k.")
    points: list[BaselinePoint] = Field(min_length=2, description="Scores of the family's models.")
    source: SourceRef = Field(description="Where the scores were read.")
    mixed_compute_basis: LongText | None = Field(
        default=None,
        description="Why the curve may mix models whose compute is reported with models whose compute is "
        "derived as 6ND (required when it does: the two can differ by a factor of two for one model).",
    )
    notes: LongText | None = Field(default=None, description="Free-text remarks.")


# --- enhancements --------------------------------------------------------------------------------


class OneTimeCost(_Strict):
    """What it costs, once, to adapt the model to the enhancement (fine-tuning, RL, data generation)."""

    flop: float | None = _finite(default=None, ge=0, description="One-time compute in FLOP.")
    fraction_of_pretraining: float | None = _finite(
        default=None, ge=0, description="One-time compute divided by the base model's pre-training compute."
    )
    basis: LongText = Field(description="How the cost was obtained or derived, with the numbers used.")


class InferenceCost(_Strict):
    """The ongoing cost: how many times the compute of one un-enhanced inference the enhancement needs."""

    value: float = _finite(gt=0, description="Multiplier on compute per task (1 = unchanged, <1 = saves).")
    basis: LongText = Field(description="Why: samples drawn, output length, search breadth, bits, sparsity.")


class MemoryCost(_Strict):
    """A change in the memory one inference needs or moves (weights, activations, their traffic), which
    is not a change in compute: weight-only quantization cuts memory and leaves the arithmetic as it was."""

    value: float = _finite(gt=0, description="Multiplier on memory per inference (1 = unchanged, <1 = saves).")
    basis: LongText = Field(description="Why: bits per weight, what is and is not counted.")


class ReportedCEG(_Strict):
    """A compute-equivalent gain stated by a source, kept beside ptedb's own estimate."""

    value: float | None = _finite(default=None, gt=0, description="Stated CEG (a multiplier).")
    low: float | None = _finite(default=None, gt=0, description="Lower end of a stated range.")
    high: float | None = _finite(default=None, gt=0, description="Upper end of a stated range.")
    kind: Literal["point", "lower_bound"] = Field(description="'lower_bound' when the source states CEG ≥ value.")
    source: SourceRef = Field(description="Where the CEG is stated.")


class Uncertainty(_Strict):
    """Sampling uncertainty of the scores, when the source gives it."""

    base_stderr: float | None = _finite(default=None, ge=0, description="Standard error of base_score.")
    enhanced_stderr: float | None = _finite(default=None, ge=0, description="Standard error of enhanced_score.")
    n_samples: int | None = Field(default=None, ge=1, description="Number of test items behind each score.")
    method: ShortText | None = Field(default=None, description="How the uncertainty was computed.")


class Evaluation(_Strict):
    """One measured result: a base model on a benchmark, without and with the enhancement."""

    id: Id = Field(description="Id, unique within its enhancement; the global id is '<enhancement>/<id>'.")
    benchmark: Id = Field(description="Id of a record in records/benchmarks/.")
    model: Id = Field(description="Id of the base (un-enhanced) model in records/models/.")
    baseline: Id | None = Field(
        default=None,
        description="Id of the family's un-enhanced curve in records/baselines/, when one exists.",
    )
    setting: ShortText = Field(description="Evaluation setting of both scores: shots, sampling, k.")
    base_score: float = _finite(description="Score without the enhancement, in the benchmark's unit.")
    enhanced_score: float = _finite(description="Score with the enhancement, in the benchmark's unit.")
    one_time_cost: OneTimeCost | None = Field(default=None, description="One-time adaptation cost.")
    inference_cost_multiplier: InferenceCost | None = Field(
        default=None, description="Multiplier on inference compute (compute only: memory has its own field)."
    )
    memory_multiplier: MemoryCost | None = Field(
        default=None, description="Multiplier on memory per inference, where the enhancement changes it."
    )
    reported_ceg: ReportedCEG | None = Field(default=None, description="CEG stated by a source, if any.")
    uncertainty: Uncertainty | None = Field(default=None, description="Standard errors, if reported.")
    source: SourceRef = Field(description="Where the base and enhanced scores were read.")
    notes: LongText | None = Field(default=None, description="Free-text remarks.")


class Enhancement(Record):
    """A post-training enhancement and every evaluation of it."""

    kind: ClassVar[str] = "enhancement"
    folder: ClassVar[str] = "enhancements"

    name: ShortText = Field(description="Display name.")
    category: Category = Field(
        description="tool-use, prompting, scaffolding, solution-choice or data (the survey's five), "
        "or efficiency for post-training techniques that cut inference compute."
    )
    description: LongText = Field(description="What the enhancement does, in a few sentences.")
    introduced_in: Id = Field(description="Id of the source that introduced the enhancement.")
    status: Status = Field(default="active", description="active, deprecated or withdrawn (ids are never deleted).")
    superseded_by: Id | None = Field(default=None, description="Id of the enhancement that replaces this one.")
    aliases: list[ShortText] = Field(default_factory=list, description="Other names, for search.")
    tags: list[Id] = Field(default_factory=list, description="Free keywords.")
    evaluations: list[Evaluation] = Field(default_factory=list, description="Measured results.")


# --- trade-offs ----------------------------------------------------------------------------------


class Tradeoff(Record):
    """A technique's measured span of exchange between training and inference compute."""

    kind: ClassVar[str] = "tradeoff"
    folder: ClassVar[str] = "tradeoffs"

    technique: ShortText = Field(description="The technique that trades one kind of compute for the other.")
    span_training_oom: float | None = _finite(
        default=None, ge=0, description="Span of training compute that can be traded, in orders of magnitude."
    )
    span_inference_oom: float | None = _finite(
        default=None,
        ge=0,
        description="Span of inference compute that can be traded, in orders of magnitude.",
    )
    approximate: bool = Field(default=False, description="True when the source gives the spans as approximate.")
    effect_of_scale: LongText | None = Field(default=None, description="How the span changes as models scale.")
    current_position: LongText | None = Field(default=None, description="Where current models stand in the trade-off.")
    source: SourceRef = Field(description="Where the spans were read.")
    notes: LongText | None = Field(default=None, description="Free-text remarks.")


# --- the dataset ---------------------------------------------------------------------------------


class DatasetInfo(_Strict):
    """records/dataset.yaml: facts about the dataset as a whole."""

    dataset_version: Annotated[str, StringConstraints(pattern=r"^v\d{4}\.\d{2}\.\d+$")] = Field(
        description="Calendar version of the data, vYYYY.MM.N."
    )
    title: ShortText = Field(description="Title of the dataset.")
    license: ShortText = Field(description="Licence of the data (SPDX id).")


RECORD_TYPES: tuple[type[Record], ...] = (Source, Model, Benchmark, Baseline, Enhancement, Tradeoff)
"""Every record kind, in dependency order (a kind only refers to kinds before it)."""

BY_FOLDER: dict[str, type[Record]] = {t.folder: t for t in RECORD_TYPES}


# --- derived tables ------------------------------------------------------------------------------


class CegRow(BaseModel):
    """One row of the compiled `ceg` table: ptedb's own CEG estimate for one evaluation.

    `ceg` is the headline, the figure a reader may quote, and `ceg_kind` says what it is: a point (read on
    a curve that was observed there and rises beyond its noise), a lower or upper bound (proven by
    un-enhanced models the enhanced model beats or is beaten by), or none. The straight-line and
    interpolated estimates, which may extrapolate far beyond any observed model, are kept for the record.
    """

    evaluation_id: str = Field(description="Global evaluation id, '<enhancement>/<evaluation>'.")
    enhancement_id: str = Field(description="Id of the enhancement.")
    category: str = Field(description="Category of the enhancement.")
    benchmark_id: str = Field(description="Id of the benchmark.")
    model_id: str = Field(description="Id of the base model.")
    baseline_id: str | None = Field(default=None, description="Id of the family's baseline curve, if any.")
    base_compute_flop: float | None = Field(default=None, description="Pre-training compute of the base model, FLOP.")
    ceg: float | None = Field(
        default=None,
        description="The headline compute-equivalent gain (a multiplier on the base model's pre-training "
        "compute): a point, or a bound, as ceg_kind says; empty when the data support neither.",
    )
    ceg_kind: Literal["point", "lower_bound", "upper_bound", "none"] = Field(
        description="What `ceg` is: point, lower_bound (CEG ≥ ceg), upper_bound (CEG ≤ ceg) or none."
    )
    ceg_p05: float | None = Field(
        default=None, description="5th percentile of a point headline over resampled scores (its noise)."
    )
    ceg_p95: float | None = Field(
        default=None, description="95th percentile of a point headline over resampled scores (its noise)."
    )
    curve: Literal["family", "cross-family"] | None = Field(
        default=None,
        description="The curve the headline was read on: the base model's own family, or a cross-family "
        "reference curve of every un-enhanced model on the benchmark and setting.",
    )
    lower_bound: float | None = Field(
        default=None,
        description="CEG ≥ this: compute of the largest un-enhanced model the enhanced model beats by more "
        "than the noise, over the base model's compute.",
    )
    upper_bound: float | None = Field(
        default=None,
        description="CEG ≤ this: compute of the smallest un-enhanced model that beats the enhanced model by "
        "more than the noise, over the base model's compute.",
    )
    ceg_line: float | None = Field(
        default=None,
        description="For the record: the straight-line (least-squares in log compute) estimate on the same "
        "curve, however far it extrapolates. Not a headline.",
    )
    ceg_interpolated: float | None = Field(
        default=None,
        description="For the record: the family curve read by linear interpolation, extended by the "
        "least-squares slope outside the observed range (the estimate before headlines). Not a headline.",
    )
    equivalent_compute_flop: float | None = Field(
        default=None,
        description="Pre-training compute at which the family's interpolated curve reaches the enhanced "
        "score, FLOP (goes with ceg_interpolated).",
    )
    ceg_low: float | None = Field(
        default=None, description="Lowest ceg_interpolated-type estimate over the methods that apply."
    )
    ceg_high: float | None = Field(
        default=None, description="Highest ceg_interpolated-type estimate over the methods that apply."
    )
    method: str = Field(description="Method behind ceg_interpolated: interpolate, loglinear or logistic.")
    extrapolated: bool = Field(
        description="True when ceg_interpolated lies outside the family's observed compute range."
    )
    extrapolation_oom: float | None = Field(
        default=None,
        description="How far, in orders of magnitude, ceg_interpolated lies beyond the observed compute.",
    )
    meaningful: bool = Field(description="True when the row has a headline (a point or a bound).")
    reason: str | None = Field(default=None, description="Why the headline is a bound or missing, in words.")
    reported_ceg: float | None = Field(
        default=None,
        description="CEG stated by a source for this evaluation (its value, or low end), if any.",
    )
