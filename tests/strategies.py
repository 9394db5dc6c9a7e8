"""Hypothesis strategies the property tests share."""

from hypothesis import strategies as st

# Text as people type it, with the characters that break careless code: markup, quotes, entities,
# characters outside the BMP (𠮷), CJK extension A (䶮) and B (𪚥), emoji, combining marks, RTL
# override, NBSP and template or format syntax.
TRICKY = ["<script>alert('x')</script>", "<b>粗</b>", "\" onmouseover=\"x", "&amp;", "&lt;", "'", "𠮷", "䶮",
          "𪚥", "😀", "é", "\u202e", "\u00a0", "{{ 7*7 }}", "${x}", "%s", "\\", "/"]
# One line of such text: no control characters and no space at either end (what a form keeps as typed).
LINE = st.lists(st.sampled_from(TRICKY) | st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=5),
                min_size=1, max_size=8).map("".join).map(str.strip).filter(bool)
# Several such lines (a textarea).
LINES = st.lists(LINE, min_size=1, max_size=3).map("\n".join)
