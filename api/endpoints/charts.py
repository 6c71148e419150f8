"""The centre head's charts as data: `GET /monitoring/charts` and `GET /monitoring/charts/{name}`.

The figures the console draws (`api.console`), for the token's region, summed by the
monitoring projection's tables (`projections.charts`); for the centre head, the auditor and the
operator, as the region's analytical report is.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from api.access import require_region_role
from api.auth import Principal
from api.endpoints.responses import problems
from api.problems import ProblemError
from api.services import PrincipalDep, Services, ServicesDep
from projections.campaign import ProjectionNotReadyError
from projections.charts import CHARTS, Chart, ChartName, Scene, read_chart

Name = Annotated[ChartName, Path(description="График.")]
WHAT = "график региона"


EXAMPLE_SERIES: dict[str, Any] = {"name": "в среднем", "values": [0.4, 3.0, 6.5, 4.2, 212.0]}
EXAMPLE_CHART: dict[str, Any] = {
    "name": "stage_time",
    "title": "Время на этапах",
    "kind": "bars",
    "category": "этап",
    "unit": "дней",
    "categories": [
        "открыт",
        "входная диагностика",
        "проектирование",
        "согласование и утверждение",
        "реализация",
    ],
    "series": [EXAMPLE_SERIES],
    "region": "sakha",
    "on": "2026-12-08",
    "position": 48213,
}


class ChartSeries(BaseModel):
    """Ряд значений графика: по одному на каждую категорию."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_SERIES]})

    name: str = Field(description="Название ряда.", examples=["в среднем"])
    values: list[float] = Field(description="Значения, в порядке категорий.")


class ChartAnswer(BaseModel):
    """График региона: категории, ряды значений и позиция проекции, по которой он построен."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CHART]})

    name: ChartName = Field(description="График.")
    title: str = Field(description="Заголовок графика.", examples=["Время на этапах"])
    kind: Literal["bars", "stacked", "bars_and_line"] = Field(
        description="Вид: bars — столбцы рядом, stacked — столбцы друг на друге, bars_and_line"
        " — столбцы и линия нормы (последний ряд)."
    )
    category: str = Field(description="Что составляет категории.", examples=["этап"])
    unit: str = Field(description="Единица значений.", examples=["дней"])
    categories: list[str] = Field(description="Категории, в порядке показа.")
    series: list[ChartSeries] = Field(description="Ряды значений.")
    region: str = Field(description="Регион (из токена).")
    on: date = Field(description="День региона, на который построен график.")
    position: int = Field(description="Позиция проекции мониторинга (последнее событие).")


class ChartEntry(BaseModel):
    """График в списке графиков."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "stage_time", "title": "Время на этапах"}]}
    )

    name: ChartName = Field(description="График.")
    title: str = Field(description="Заголовок графика.")


def chart_of(services: Services, principal: Principal, name: ChartName) -> Chart:
    """The chart of the principal's region (blocking: run it in a thread); 503 while the
    monitoring projection is not built."""
    profile = services.routes.profiles.latest(principal.region)
    scene = Scene(
        region=principal.region,
        zone=ZoneInfo(profile.time_zone),
        now=services.routes.clock(),
        competences={c.code: c.name for c in profile.competences},
    )
    try:
        return read_chart(services.monitoring, name, scene)
    except ProjectionNotReadyError as error:
        raise ProblemError(503, "unavailable", error.message, rule="projection_not_ready") from None


async def list_charts(principal: PrincipalDep) -> list[ChartEntry]:
    """Графики региона для руководителя ЦНППМ: ИОМ по этапам по месяцам, время на этапах,
    сроки согласования по сторонам, просроченные мероприятия по муниципалитетам и по ОО,
    нагрузка методистов и норма, динамика компетенций, массовые дефициты. Только руководителю
    ЦНППМ, аудитору и оператору."""
    require_region_role(principal, WHAT)
    return [ChartEntry(name=name, title=spec.title) for name, spec in CHARTS.items()]


async def get_chart(name: Name, *, principal: PrincipalDep, services: ServicesDep) -> ChartAnswer:
    """Данные графика региона из токена (те, что консоль рисует и выгружает в CSV), по
    таблицам проекции мониторинга. Только руководителю ЦНППМ, аудитору и оператору."""
    require_region_role(principal, WHAT)
    chart = await asyncio.to_thread(chart_of, services, principal, name)
    return ChartAnswer(
        name=chart.name,
        title=chart.title,
        kind=chart.kind,
        category=chart.category,
        unit=chart.unit,
        categories=list(chart.categories),
        series=[ChartSeries(name=s.name, values=list(s.values)) for s in chart.series],
        region=chart.region,
        on=chart.on,
        position=chart.position,
    )


def build_router() -> APIRouter:
    """The charts' router."""
    router = APIRouter(tags=["Мониторинг"])
    router.add_api_route(
        "/monitoring/charts",
        list_charts,
        methods=["GET"],
        response_model=list[ChartEntry],
        operation_id="list_charts",
        summary="Графики региона: список",
        responses=problems(401, 403),
    )
    router.add_api_route(
        "/monitoring/charts/{name}",
        get_chart,
        methods=["GET"],
        response_model=ChartAnswer,
        operation_id="get_chart",
        summary="График региона: данные",
        responses=problems(401, 403, 422, 503),
    )
    return router
