"""What every domain of ecogrid shares: settings, the database and the embedded cluster, migrations, domain
errors, tokens and keys, the audit trail, personal-data masking, the bureau's vocabulary and its clock
(``ecogrid.core.time``)."""
