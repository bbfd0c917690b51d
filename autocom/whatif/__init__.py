"""What-if on past calls (`autocom simulate`, docs/simulate.md): each call of a month
decided by the current rules and by new ones, at its own time.

- :mod:`~autocom.whatif.time_classes`: the instants every rule decides alike;
- :mod:`~autocom.whatif.replay`: the replay and the comparison (pure);
- :mod:`~autocom.whatif.report`: the report as text or JSON.

The tickets come from the call accounting feature (apps/accounting/simulate.py),
the decisions on calls to users from the features that offer them
(autocom.services.ReplayService: forwards, boss_secretary).
"""
