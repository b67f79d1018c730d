"""Statistics in a reader's language: titles, the text summary, the chart and the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.i18n import Translator, format_local
from bot.organising.report import render_report
from bot.organising.stats import StatTable, humanise, render_chart, summary_text


@dataclass(frozen=True)
class StatsView:
    """Renders anonymised tables for one language and time zone."""

    translator: Translator
    lang: str
    timezone: str
    community: str
    min_group_size: int

    def t(self, key: str, /, **values: object) -> str:
        values.setdefault("community", self.community)
        values.setdefault("min", self.min_group_size)
        return self.translator.text(self.lang, key, **values)

    def capability_title(self, capability: str) -> str:
        key = f"admin.capability.{capability}"
        return self.t(key) if self.translator.has(key, self.lang) else humanise(capability)

    def table_title(self, table: str) -> str:
        # A feature may name its tables in its own catalog as ``stats.<table>``.
        key = f"stats.{table}"
        return self.t(key) if self.translator.has(key, self.lang) else humanise(table)

    def day(self, when: datetime) -> str:
        return format_local(when, self.timezone, self.lang, "d MMM yyyy")

    def period_text(self, since: datetime, until: datetime) -> str:
        return self.t("admin.period", start=self.day(since), end=self.day(until))

    def summary(self, tables: list[StatTable], since: datetime, until: datetime) -> str:
        days = max(1, round((until - since).total_seconds() / 86400))
        header = self.t("admin.stats_header", period=self.period_text(since, until), days=days)
        if not tables:
            return header + "\n\n" + self.t("admin.stats_no_providers")
        return summary_text(
            tables,
            header=header,
            capability_title=self.capability_title,
            table_title=self.table_title,
            no_rows=self.t("admin.stats_table_empty"),
            more=lambda n: self.t("admin.stats_more_rows", count=n),
        )

    def chart(self, tables: list[StatTable], since: datetime, until: datetime) -> bytes:
        return render_chart(
            tables,
            title=f"{self.community} · {self.period_text(since, until)}",
            panel_title=lambda table: (
                f"{self.capability_title(table.capability)}: {self.table_title(table.name)}"
            ),
            empty_text=self.t("admin.stats_no_data"),
        )

    def report(
        self, tables: list[StatTable], since: datetime, until: datetime, generated: datetime
    ) -> str:
        return render_report(
            tables,
            t=self.t,
            lang=self.lang,
            capability_title=self.capability_title,
            table_title=self.table_title,
            period_text=self.period_text(since, until),
            generated_text=self.t(
                "admin.report_generated",
                when=format_local(generated, self.timezone, self.lang, "full"),
            ),
        )
