"""A tiny document model rendered to both Markdown and standalone HTML.

The report index is built once as a list of blocks (headings, paragraphs,
tables, images, lists) and written twice, so ``index.md`` and ``index.html``
always say the same thing. Images are referenced by relative paths.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass
class Doc:
    """Ordered blocks: ``(kind, payload)`` with kinds h, p, table, img, list."""

    title: str
    blocks: list[tuple[str, object]] = field(default_factory=list)

    def h(self, text: str, level: int = 2) -> None:
        self.blocks.append(("h", (level, text)))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.blocks.append(("table", (header, rows)))

    def img(self, src: str, alt: str) -> None:
        self.blocks.append(("img", (src, alt)))

    def items(self, lines: list[str]) -> None:
        self.blocks.append(("list", lines))


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(doc: Doc) -> str:
    """Render as GitHub-flavoured Markdown."""
    out = [f"# {doc.title}", ""]
    for kind, payload in doc.blocks:
        if kind == "h":
            level, text = payload  # type: ignore[misc]
            out += [f"{'#' * level} {text}", ""]
        elif kind == "p":
            out += [str(payload), ""]
        elif kind == "table":
            header, rows = payload  # type: ignore[misc]
            out.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            out.append("|" + "|".join("---" for _ in header) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("")
        elif kind == "img":
            src, alt = payload  # type: ignore[misc]
            out += [f"![{alt}]({src.replace(' ', '%20')})", ""]
        elif kind == "list":
            out += [f"- {line}" for line in payload] + [""]  # type: ignore[union-attr]
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1500px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.2em;font-size:0.88em}
th,td{border:1px solid #ccc;padding:0.25em 0.55em;text-align:right;white-space:nowrap}
th{background:#f2f2f2}td:first-child,th:first-child,td:nth-child(2){text-align:left}
img{max-width:100%;height:auto;border:1px solid #ddd;margin:0.3em 0 1.2em}
code{background:#f4f4f4;padding:0 0.2em}
"""


def _inline(text: str) -> str:
    """Escape ``text`` and turn `backticks` into <code>."""
    parts = html.escape(str(text)).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def to_html(doc: Doc) -> str:
    """Render as one standalone HTML page (inline CSS, relative image links)."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(doc.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(doc.title)}</h1>",
    ]
    for kind, payload in doc.blocks:
        if kind == "h":
            level, text = payload  # type: ignore[misc]
            out.append(f"<h{level}>{_inline(text)}</h{level}>")
        elif kind == "p":
            out.append(f"<p>{_inline(payload)}</p>")
        elif kind == "table":
            header, rows = payload  # type: ignore[misc]
            out.append(
                "<table><thead><tr>"
                + "".join(f"<th>{_inline(h)}</th>" for h in header)
                + "</tr></thead><tbody>"
            )
            out += [
                "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in rows
            ]
            out.append("</tbody></table>")
        elif kind == "img":
            src, alt = payload  # type: ignore[misc]
            out.append(
                f'<img src="{html.escape(src, quote=True)}" alt="{html.escape(alt, quote=True)}">'
            )
        elif kind == "list":
            out.append("<ul>" + "".join(f"<li>{_inline(line)}</li>" for line in payload) + "</ul>")  # type: ignore[union-attr]
    out.append("</body></html>")
    return "\n".join(out) + "\n"
