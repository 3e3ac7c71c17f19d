"""Full-text search over public articles (interface fixed; backends being written).

search_articles(query, queryset) -> SearchResults: ``queryset`` is already narrowed by the one
visibility rule (Article.objects.published()) and any section/tag filters. SearchResults has count()
and slicing (so Django's Paginator takes it); each article it yields carries ``search_rank`` and
``search_snippet`` (safe HTML: the escaped text with <mark> around the matched words).
"""
