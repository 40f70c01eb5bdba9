"""The MCP tools: each one's input and output models, its handler and its `ToolSpec`
(`mcp_api.tool_spec`: how a tool is described, checked and called), and the two endpoints' lists."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from bearer.auth import Principal
from insights import chat as insights_chat
from insights import query as insights_query
from insights.chat import Caller, InsightError
from insights.results import ChatResult, ExploreResult, SurveySearchResult
from insights.store import DataNotBuilt
from mcp_api import icons
from mcp_api.tool_spec import Arguments, Id, NoArguments, ToolError, ToolResult, ToolSpec, no_nul
from mcp_api.ui import CHART


def _caller(principal: Principal) -> Caller:
    return Caller(
        organization_id=principal.organization_id,
        user_id=principal.user_id,
        dataset_codes=principal.dataset_codes,
        organization_codes=principal.organization_dataset_codes,
        retired_codes=principal.retired_dataset_codes,
        withheld=principal.withheld,
    )


# -- list_datasets ------------------------------------------------------------------------------
class DatasetItem(BaseModel):
    code: str = Field(description="Dataset code, e.g. ds-core")
    name: str
    description: str


class DatasetList(ToolResult):
    datasets: list[DatasetItem]

    def text(self) -> str:
        if not self.datasets:
            return (
                "No datasets are available to this token. Ask your organization admin which datasets "
                "are enabled, then create a token with those dataset scopes."
            )
        lines = ["Datasets you can use (pass the code to other tools):"]
        lines += [f"- {d.code}: {d.name}. {d.description}" for d in self.datasets]
        return "\n".join(lines)


def _list_datasets(principal: Principal, arguments: NoArguments) -> DatasetList:
    return DatasetList(
        datasets=[DatasetItem(code=d.code, name=d.name, description=d.description) for d in principal.datasets]
    )


LIST_DATASETS = ToolSpec(
    name="list_datasets",
    title="List datasets",
    description=(
        "List the survey datasets your organization may use: code, name and what each covers. Use it first, to "
        "learn which dataset codes the other tools take (chat_gwi's and search_survey's dataset, query_survey's "
        "required dataset), or when a tool says a dataset is not available. Takes no arguments. Example: {}"
    ),
    input_model=NoArguments,
    output_model=DatasetList,
    handler=_list_datasets,
    icon=icons.DATASETS,
    reads_datasets=False,  # an empty list is its answer
)


# -- chat_gwi and explore_insight_gwi -----------------------------------------------------------
class ChatArguments(Arguments):
    prompt: str = Field(min_length=2, max_length=2000, description="The question in natural language.")
    chat_id: Id | SkipJsonSchema[None] = Field(
        default=None, description="A chat_id from an earlier answer, to follow up."
    )
    docked_audiences: Annotated[list[Id], Field(max_length=5)] | SkipJsonSchema[None] = Field(
        default=None, description="IDs of saved audiences shared in your organization (aud_…)."
    )
    dataset: Annotated[str, Field(min_length=2, max_length=39, pattern=r"^[a-z][a-z0-9-]*$")] | SkipJsonSchema[None] = (
        Field(
            default=None,
            description="A dataset code from list_datasets (e.g. ds-core): answer from that dataset only. A chat keeps "
            "its dataset across follow-ups; without it, the dataset that answers best is used and named.",
        )
    )


def _chat_gwi(principal: Principal, arguments: ChatArguments) -> ChatResult:
    return insights_chat.chat(
        caller=_caller(principal),
        prompt=arguments.prompt,
        chat_id=arguments.chat_id,
        docked_audiences=arguments.docked_audiences,
        dataset=arguments.dataset,
    )


CHAT_GWI = ToolSpec(
    name="chat_gwi",
    title="Ask Spark Portal for audience insights",
    description=(
        "Answer a question about an audience in plain language with survey statistics: who they are, what they "
        "do, use, buy or think. Name a topic (social platforms, streaming, shopping, attitudes…) and optionally "
        "an audience (Gen Z, women, aged 25-34, eco-conscious…), markets (countries, regions) and a period "
        "(Q3 2024, last year); comparisons ('Gen Z vs millennials'), trends ('how did … change') and breakdowns "
        "('by age group') are understood. Use it first for any question in words. Break broad questions into "
        "several focused ones (one topic, one audience) and call it once for each. Returns ranked insight sentences "
        "with IDs (explore_insight_gwi gives an insight's full numbers), the sources, what was and was not "
        "understood, and a chat_id: pass it back for a follow-up ('and in France?'). Add saved audiences with "
        "docked_audiences. When it does not understand, it says so with ready-made search_survey and "
        "query_survey calls; use those to ask by codes. "
        'Example: {"prompt": "What share of Gen Z in Germany use TikTok weekly?"}'
    ),
    input_model=ChatArguments,
    output_model=ChatResult,
    handler=_chat_gwi,
    icon=icons.CHAT,
    ui=CHART,
)


class ExploreArguments(Arguments):
    insight_id: Id = Field(description="An insight ID (ins_…) from chat_gwi.")


def _explore(principal: Principal, arguments: ExploreArguments) -> ExploreResult:
    return insights_chat.explore(caller=_caller(principal), insight_id=arguments.insight_id)


EXPLORE_INSIGHT_GWI = ToolSpec(
    name="explore_insight_gwi",
    title="Explore an insight's numbers",
    description=(
        "Show where one insight comes from and all its numbers: the attribute (namespace, question, datapoint, "
        "suffix), audience with its expression, locations, waves and dataset, and for its question every "
        "answer's nine metrics (positive/audience/datapoint samples and weighted sizes, audience %, datapoint %, "
        "index; 100 = average; sizes are null for a survey imported without its population), low-confidence "
        "rows flagged. Use it after chat_gwi or query_survey to quote or check exact figures. "
        'Example: {"insight_id": "ins_0123456789abcdef"}'
    ),
    input_model=ExploreArguments,
    output_model=ExploreResult,
    handler=_explore,
    icon=icons.EXPLORE,
    ui=CHART,
    reads_retired=True,
)


# -- search and fetch (ChatGPT's connector contract, on /openai/mcp) ------------------------------
class SearchArguments(Arguments):
    query: str = Field(min_length=1, max_length=500, description="Keywords to search for.")


class SearchHit(BaseModel):
    id: str
    title: str
    url: str


class SearchResults(ToolResult):
    results: list[SearchHit]


def _search(principal: Principal, arguments: SearchArguments) -> SearchResults:
    """The insights chat_gwi finds for the query, then the datasets whose words match it."""
    results: list[SearchHit] = []
    try:
        answer = insights_chat.chat(caller=_caller(principal), prompt=arguments.query)
        results += [
            SearchHit(id=i.id, title=i.text, url=f"{principal.base_url}/insights/{i.id}/") for i in answer.insights
        ]
    except (InsightError, DataNotBuilt):
        pass  # nothing understood: the catalog may still match
    query = _words(arguments.query)
    results += [
        SearchHit(id=d.code, title=d.name, url=f"{principal.base_url}/datasets/{d.code}/")
        for d in principal.datasets
        if query & _words(f"{d.code} {d.name} {d.description}")
    ]
    return SearchResults(results=results)


def _words(text: str) -> set[str]:
    return {w for w in "".join(c.lower() if c.isalnum() else " " for c in text).split() if len(w) > 2}


SEARCH = ToolSpec(
    name="search",
    title="Search Spark Portal",
    description=(
        "Search the Spark Portal audience-insights catalog your organization may use: insights answering the query and "
        "the datasets it names, as result ids, titles and URLs. Use short keyword queries, then fetch an id for "
        'the full document. Example: {"query": "streaming USA"}'
    ),
    input_model=SearchArguments,
    output_model=SearchResults,
    handler=_search,
    icon=icons.SEARCH,
)


class FetchArguments(Arguments):
    id: Id = Field(min_length=1, description="A result id from search.")


class Document(ToolResult):
    id: str
    title: str
    text_: str = Field(alias="text", serialization_alias="text")
    url: str
    metadata: dict[str, str]


def _fetch(principal: Principal, arguments: FetchArguments) -> Document:
    item = arguments.id
    if item.startswith("ins_"):
        explored = insights_chat.explore(caller=_caller(principal), insight_id=item)
        return Document(
            id=item,
            title=explored.insight.text,
            text=explored.text(),
            url=f"{principal.base_url}/insights/{item}/",
            metadata={"kind": "insight"},
        )
    for d in principal.datasets:
        if d.code == item:
            return Document(
                id=d.code,
                title=d.name,
                text=f"{d.name} ({d.code})\n\n{d.description}",
                url=f"{principal.base_url}/datasets/{d.code}/",
                metadata={"kind": "dataset", "code": d.code},
            )
    raise ToolError(f"No document with id {item!r} is available to you; use an id returned by search.")


FETCH = ToolSpec(
    name="fetch",
    title="Fetch a Spark Portal document",
    description=(
        "Fetch the full text of one search result by its id: an insight's origins and every number behind it, "
        'or a dataset\'s description. Use it after search. Example: {"id": "ds-core"}'
    ),
    input_model=FetchArguments,
    output_model=Document,
    handler=_fetch,
    icon=icons.DOCUMENT,
)


# -- search_survey and query_survey: the catalog by words or codes, a question by its codes ------------
CODE_LENGTH = 100


Code = Annotated[str, Field(min_length=1, max_length=CODE_LENGTH), AfterValidator(no_nul)]


DatasetCode = Annotated[str, Field(min_length=2, max_length=39, pattern=r"^[a-z][a-z0-9-]*$")]


KIND = Literal["dataset", "question", "audience", "market", "market_group", "wave"]


AUDIENCE_HELP = (
    'An audience expression, as saved audiences are written: {"audience": "gen_z"} (a predefined audience), '
    '{"datapoint": "interests.gaming"} (people who gave an answer: question.answer), {"age": [25, 34]}, '
    '{"gender": "female"}, combined with {"and": [...]}, {"or": [...]}, {"not": {...}}.'
)


class SearchSurveyArguments(Arguments):
    query: str | SkipJsonSchema[None] = Field(
        default=None, max_length=500, description="Words or codes to look up (e.g. 'TikTok', 'gen z', 'nordics', "
        "'q1_2024'). Leave out with kind to list every entry of that kind."
    )  # fmt: skip
    dataset: DatasetCode | SkipJsonSchema[None] = Field(default=None, description="Only this dataset (a code).")
    kind: KIND | SkipJsonSchema[None] = Field(default=None, description="Only entries of this kind.")
    limit: int = Field(default=20, ge=1, le=50, description="How many entries at most (default 20).")


def _search_survey(principal: Principal, arguments: SearchSurveyArguments) -> SurveySearchResult:
    return insights_query.search_survey(
        caller=_caller(principal),
        query=arguments.query or "",
        dataset=arguments.dataset,
        kind=arguments.kind,
        limit=arguments.limit,
    )


SEARCH_SURVEY = ToolSpec(
    name="search_survey",
    title="Look up survey codes",
    description=(
        "Look up what your survey datasets hold, with the exact codes query_survey takes: datasets, questions "
        "(each with all its answers), predefined audiences, markets, market groups and waves. Ranked by the "
        "same topic search chat_gwi uses; a code finds its entry exactly. Use it before query_survey, or when "
        'chat_gwi did not understand a prompt. Example: {"query": "TikTok Gen Z Germany"}; '
        '{"kind": "wave", "dataset": "ds-core"} lists every wave.'
    ),
    input_model=SearchSurveyArguments,
    output_model=SurveySearchResult,
    handler=_search_survey,
    icon=icons.LOOKUP,
)


class CompareArguments(Arguments):
    audiences: Annotated[list[dict[str, Any]], Field(min_length=2, max_length=4)] | SkipJsonSchema[None] = Field(
        default=None, description="2-4 audience expressions, each side within the query's audience."
    )
    markets: Annotated[list[Code], Field(min_length=2, max_length=4)] | SkipJsonSchema[None] = Field(
        default=None, description="2-4 market or market group codes, one per side."
    )
    waves: Annotated[list[Code], Field(min_length=2, max_length=4)] | SkipJsonSchema[None] = Field(
        default=None, description="2-4 wave codes, one per side."
    )

    @model_validator(mode="after")
    def _one_dimension(self) -> CompareArguments:
        if sum(side is not None for side in (self.audiences, self.markets, self.waves)) != 1:
            raise ValueError("compare takes exactly one of audiences, markets or waves")
        return self


class QuerySurveyArguments(Arguments):
    dataset: DatasetCode = Field(description="A dataset code (list_datasets, search_survey), e.g. ds-core.")
    question: Code = Field(description="A question code from search_survey, e.g. social_weekly.")
    answers: Annotated[list[Code], Field(max_length=40)] | SkipJsonSchema[None] = Field(
        default=None, description="Answer codes of the question to state first (e.g. ['tiktok']); else the "
        "answers that stand out."
    )  # fmt: skip
    audience: dict[str, Any] | SkipJsonSchema[None] = Field(
        default=None, description=AUDIENCE_HELP + " Default: everyone."
    )
    markets: Annotated[list[Code], Field(max_length=60)] | SkipJsonSchema[None] = Field(
        default=None, description="Market or market group codes (s2_49, group:nordics, region:europe). Default: "
        "every market of the dataset."
    )  # fmt: skip
    waves: Annotated[list[Code], Field(max_length=60)] | SkipJsonSchema[None] = Field(
        default=None, description="Wave codes (q1_2024). Default: the latest survey year (every wave for a trend)."
    )
    compare: CompareArguments | SkipJsonSchema[None] = Field(
        default=None, description="Side by side: exactly one of audiences, markets or waves (2-4 sides)."
    )
    trend: bool = Field(default=False, description="Each answer wave by wave over waves, and its change.")
    breakdown: Literal["generation", "gender", "market", "region"] | SkipJsonSchema[None] = Field(
        default=None, description="One side per generation, gender, market or region."
    )

    @model_validator(mode="after")
    def _one_shape(self) -> QuerySurveyArguments:
        if sum((self.compare is not None, self.trend, self.breakdown is not None)) > 1:
            raise ValueError("ask for at most one of compare, trend or breakdown")
        return self


def _query_survey(principal: Principal, arguments: QuerySurveyArguments) -> ChatResult:
    compare = arguments.compare
    sides: list[Any] = []
    dimension = ""
    if compare is not None:
        dimension, sides = next(
            (name, list(value)) for name, value in
            (("audience", compare.audiences), ("location", compare.markets), ("time", compare.waves)) if value
        )  # fmt: skip
    query = insights_query.Query(
        dataset=arguments.dataset,
        question=arguments.question,
        answers=tuple(arguments.answers or ()),
        audience=arguments.audience,
        markets=tuple(arguments.markets or ()),
        waves=tuple(arguments.waves or ()),
        compare=dimension,
        sides=tuple(sides),
        trend=arguments.trend,
        breakdown=arguments.breakdown or "",
    )
    return insights_query.query_survey(caller=_caller(principal), query=query)


QUERY_SURVEY = ToolSpec(
    name="query_survey",
    title="Query the survey by codes",
    description=(
        "Ask the survey one question exactly, by codes from search_survey: a question of a dataset, optionally "
        "some of its answers, an audience expression, markets and waves; and at most one of compare (2-4 "
        "audiences, markets or waves side by side), trend (wave by wave) or breakdown (by generation, gender, "
        "market or region). Same numbers and insight IDs as chat_gwi (explore them with explore_insight_gwi), "
        "computed for exactly what was asked; a wrong code is named with the nearest valid ones. Use chat_gwi "
        "for plain-language questions, this tool when you know the codes or chat_gwi did not understand. "
        'Example: {"dataset": "ds-core", "question": "social_weekly", "answers": ["tiktok"], '
        '"audience": {"audience": "gen_z"}, "markets": ["s2_49"], "compare": {"waves": '
        '["q1_2024", "q4_2025"]}}.'
    ),
    input_model=QuerySurveyArguments,
    output_model=ChatResult,
    handler=_query_survey,
    icon=icons.QUERY,
    ui=CHART,
)


TOOLS: dict[str, ToolSpec] = {
    tool.name: tool for tool in (CHAT_GWI, EXPLORE_INSIGHT_GWI, LIST_DATASETS, SEARCH_SURVEY, QUERY_SURVEY)
}


OPENAI_TOOLS: dict[str, ToolSpec] = {tool.name: tool for tool in (SEARCH, FETCH)}
