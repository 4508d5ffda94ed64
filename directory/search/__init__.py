"""Provider search: each public search parameter declared once (rules), the FilterSet built from them
(filters), free text (text), the facet index of counts (facet_index) and the results a page shows
(results)."""
