"""Build site.yaml from the systems that already hold the users (Wazo, LDAP, CSV).

``records`` is what every source returns, ``merge`` and ``diff`` are pure
(sources + overrides -> site document; old site + new site -> difference and
the removal guard), the ``*_source`` modules do the I/O, ``run`` ties them
together for `autocom site sync` and the periodic sync of `autocom serve`.
"""
