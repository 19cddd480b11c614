"""The HTML report of a version and the comparison of two versions.

- `build.py`: gather a version's numbers and write its self-contained `report.html`
  (also written into every version at publish time);
- `rows.py`, `funnel.py`, `distributions.py`, `diversity.py`, `contamination.py`,
  `sample.py`, `mixture.py`: what each section shows, from the manifest and the parquet;
- `plots.py`: matplotlib figures as inline SVG; `page.py` and `sections.py`: the HTML;
- `diff.py`: `datagen diff`, as a text table or the same page layout.

Nothing heavy is imported here: polars and matplotlib load inside the functions.
"""
