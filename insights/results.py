"""The results of chat_gwi and explore_insight_gwi: one typed model each.

Each model is the single source of its tool's result: `insights.chat` builds it, the MCP layer
derives the tool's `outputSchema` from it and sends `model_dump(mode="json")` as the structured
content, and `text()` renders the readable version sent alongside.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from survey.engine import Metrics


class CodeName(BaseModel):
    code: str
    name: str


class Attribute(BaseModel):
    """Where a number comes from: namespace, question, datapoint and suffix, and their joined key."""

    namespace: str
    question: str
    datapoint: str
    suffix: str | None
    key: str = Field(description="namespace.question.datapoint[.suffix], e.g. q.social_weekly.tiktok.weekly")


class InsightSummary(BaseModel):
    id: str = Field(description="Pass to explore_insight_gwi for every number behind it")
    text: str
    kind: str = Field(description="'percentage' or 'index'")
    dataset: str
    attribute: Attribute
    metrics: Metrics


class DatasetSource(CodeName):
    universe: str = Field(
        description="Who the survey represents, in its own words (e.g. 'internet users aged 16-64 in 50 markets')"
    )
    sizes: bool = Field(
        description="Whether sizes are numbers of people; false for a survey imported without its population: "
        "its metrics give shares, index and samples, and every size is null"
    )


class AudienceSource(BaseModel):
    id: str
    name: str
    description: str


class Sources(BaseModel):
    topics: list[CodeName]
    audiences: list[AudienceSource]
    datasets: list[DatasetSource]
    locations: list[CodeName]
    waves: list[CodeName]


class ChatResult(BaseModel):
    """chat_gwi's answer: a main response, ranked insights with IDs, the sources, the chat ID."""

    chat_id: str
    response: str
    insights: list[InsightSummary]
    understood: list[str]
    not_understood: list[str]
    notes: list[str]
    sources: Sources

    def text(self) -> str:
        lines = [self.response, *(f"- [{i.id}] {i.text}" for i in self.insights), "", "Sources:"]
        sources = self.sources
        lines.append("  topics: " + "; ".join(t.name for t in sources.topics))
        if sources.audiences:
            lines.append("  audiences: " + "; ".join(f"{a.name} ({a.id}): {a.description}" for a in sources.audiences))
        lines.append("  datasets: " + "; ".join(f"{d.code} ({d.name}: {d.universe})" for d in sources.datasets))
        lines.append("  locations: " + "; ".join(f"{loc.code} {loc.name}" for loc in sources.locations))
        lines.append("  waves: " + "; ".join(f"{w.code} {w.name}" for w in sources.waves))
        lines += [f"Note: {note}" for note in self.notes]
        lines.append(f"Chat ID: {self.chat_id} (pass it as chat_id to ask a follow-up in the same context)")
        return "\n".join(lines)


class InsightText(BaseModel):
    id: str
    text: str


class OriginAudience(BaseModel):
    id: str
    name: str
    description: str
    expression: dict[str, Any] = Field(description="The audience expression, enough to recompute the numbers")


class Origins(BaseModel):
    attributes: list[Attribute]
    audiences: list[OriginAudience]
    locations: list[CodeName]
    waves: list[CodeName]
    datasets: list[DatasetSource]


class QuestionInfo(BaseModel):
    namespace: str
    code: str
    name: str
    description: str
    kind: str = Field(description="'single' or 'multi' choice")
    suffix: str | None


class Base(BaseModel):
    sample: int = Field(description="Respondents in the chosen locations and waves")
    size: float | None = Field(
        description="The people they represent (summed weights); null for a survey imported without its population"
    )


class DatapointMetrics(Attribute):
    code: str
    name: str
    metrics: Metrics
    generated_text: str = Field(
        description="This datapoint's number as a sentence, in the insight's own form (its share or its index)"
    )


class Calculation(BaseModel):
    question: QuestionInfo
    base: Base
    datapoints: list[DatapointMetrics]


class ExploreResult(BaseModel):
    """explore_insight_gwi's answer: an insight's origins and every datapoint's metrics."""

    insight: InsightText
    origins: Origins
    calculations: list[Calculation]
    metric_priority: list[str] = Field(
        description="The metrics in the order to read them: the insight's own measure first "
        "(audience_percentage for a share, audience_index for an index), then the rest"
    )
    low_confidence_threshold: int

    def text(self) -> str:
        origins = self.origins
        lines = [f"Insight {self.insight.id}: {self.insight.text}", "Origins:"]
        lines += [f"  attribute: {a.key}" for a in origins.attributes]
        lines += [f"  audience: {a.name} ({a.id})" for a in origins.audiences]
        lines.append("  locations: " + ", ".join(f"{loc.code} {loc.name}" for loc in origins.locations))
        lines.append("  waves: " + ", ".join(w.code for w in origins.waves))
        lines.append("  datasets: " + ", ".join(d.code for d in origins.datasets))
        for calc in self.calculations:
            people = "" if calc.base.size is None else f", {calc.base.size:,.0f} people"
            lines.append(
                f"Question {calc.question.code}: {calc.question.name} (base: {calc.base.sample} respondents{people})"
            )
            lines += [_metrics_line(dp, self.metric_priority) for dp in calc.datapoints]
        return "\n".join(lines)


def _metrics_line(dp: DatapointMetrics, priority: list[str]) -> str:
    """A datapoint's headline metrics, in the order of `metric_priority`, then its sentence."""
    m = dp.metrics
    shown = {
        "audience_percentage": "audience % "
        + ("n/a" if m.audience_percentage is None else f"{m.audience_percentage:.1f}%"),
        "audience_index": "index " + ("n/a" if m.audience_index is None else f"{m.audience_index:.0f}"),
    }
    headline = [shown[name] for name in priority if name in shown]
    flag = " (low sample)" if m.low_confidence else ""
    return (
        f"  {dp.name}: {', '.join(headline)}, positive sample {m.positive_sample}, "
        f"audience sample {m.audience_sample}{flag}: {dp.generated_text}"
    )


class CatalogAnswer(BaseModel):
    code: str
    name: str


class CatalogEntry(BaseModel):
    """One thing a dataset holds, with the code query_survey takes for it."""

    kind: str = Field(description="dataset, question, audience, market, market_group or wave")
    code: str = Field(
        description="What query_survey takes: dataset, question, markets (a market or a market group), waves; "
        'an audience\'s code goes into an expression as {"audience": code}'
    )
    name: str
    dataset: str = Field(description="The dataset it belongs to (the same code may be in several)")
    description: str
    answers: list[CatalogAnswer] = Field(
        description='A question\'s answers (query_survey\'s answers; {"datapoint": "question.answer"} in an audience)'
    )
    matched_answers: list[str] = Field(description="The answers the query named, by code")
    markets: list[str] = Field(description="A market group's markets that this dataset surveys")


class SurveySearchResult(BaseModel):
    """search_survey's answer: what the caller's datasets hold that the query names, best first."""

    results: list[CatalogEntry]
    total: int = Field(description="How many entries matched; results holds the first `limit` of them")

    def text(self) -> str:
        if not self.results:
            return (
                "Nothing in your datasets matches. Try other words, a code, or leave query out with a kind to list "
                "every entry of that kind (e.g. kind: wave)."
            )
        lines = [f"{self.total} match{'es' if self.total != 1 else ''}, best first (codes go to query_survey):"]
        for e in self.results:
            line = f"- {e.kind} {e.code} ({e.dataset}): {e.name}"
            if e.description and e.kind in ("question", "audience", "market_group"):
                line += f" ({e.description})"
            if e.answers:
                line += "; answers: " + ", ".join(f"{a.code} {a.name}" for a in e.answers)
            if e.matched_answers:
                line += f"; named: {', '.join(e.matched_answers)}"
            lines.append(line)
        if self.total > len(self.results):
            lines.append(f"{self.total - len(self.results)} more: narrow with dataset or kind, or raise limit.")
        return "\n".join(lines)
