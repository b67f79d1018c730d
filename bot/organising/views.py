"""Statistics in a reader's language: the text summary, the chart, the export and the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.i18n import Translator, format_local
from bot.core.tables import StatTable
from bot.organising.export import build_zip
from bot.organising.report import render_report
from bot.organising.tables import TableWriter


@dataclass(frozen=True)
class StatsView:
    """Renders anonymised tables for one language and time zone."""

    translator: Translator
    lang: str
    timezone: str
    community: str
    min_group_size: int

    @property
    def writer(self) -> TableWriter:
        return TableWriter(self.translator, self.lang, self.min_group_size)

    def t(self, key: str, /, **values: object) -> str:
        values.setdefault("community", self.community)
        values.setdefault("min", self.min_group_size)
        return self.translator.text(self.lang, key, **values)

    def capability_title(self, capability: str) -> str:
        return self.writer.capability(capability)

    def day(self, when: datetime) -> str:
        return format_local(when, self.timezone, self.lang, "d MMM yyyy")

    def period_text(self, since: datetime, until: datetime) -> str:
        return self.t("admin.period", start=self.day(since), end=self.day(until))

    def summary(self, tables: list[StatTable], since: datetime, until: datetime) -> str:
        days = max(1, round((until - since).total_seconds() / 86400))
        header = self.t(
            "admin.stats_header",
            period=self.period_text(since, until),
            days=self.translator.plural(self.lang, "stats.days", days),
        )
        if not tables:
            return header + "\n\n" + self.t("admin.stats_no_providers")
        return self.writer.summary(tables, header)

    def chart(self, tables: list[StatTable], since: datetime, until: datetime) -> bytes:
        return self.writer.chart(
            tables, title=f"{self.community} · {self.period_text(since, until)}"
        )

    def export(self, tables: list[StatTable], since: datetime, until: datetime) -> bytes:
        """The zip of CSV files, with their summary and data dictionary."""
        return build_zip(self.writer, tables, since, until)

    def report(
        self, tables: list[StatTable], since: datetime, until: datetime, generated: datetime
    ) -> str:
        return render_report(
            tables,
            writer=self.writer,
            title=self.t("admin.report_title"),
            period_text=self.period_text(since, until),
            generated_text=self.t(
                "admin.report_generated",
                when=format_local(generated, self.timezone, self.lang, "full"),
            ),
        )
