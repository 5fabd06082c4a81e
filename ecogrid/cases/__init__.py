"""Cases as the bureau counts them: the rules behind every figure (``ecogrid.cases.rules``) and the
queries that count by them (``ecogrid.cases.figures``)."""
