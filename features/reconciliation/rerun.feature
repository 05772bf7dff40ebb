Feature: Reconciling a quarter again when nothing has changed
  A quarter may be reconciled again on the same day: after a payment arrives, or just to check.
  When no participant, evidence, decision, result, spec or posting has changed since the last
  run, the run reuses what the last run worked out instead of working it all out again (at a
  national scale, a minute or more), and says so. It reports exactly what working it all out
  again would report. Anything new in between, and the quarter is worked out again.

  Background:
    Given the Innovation Fund test contract is in force
    And these young people are enrolled:
      | participant_id | start_date | date_of_birth |
      | P1             | 2015-02-01 | 1995-06-01    |
      | P2             | 2015-03-01 | 1996-01-01    |
    And the provider sent this evidence on 2015-06-20 and it was verified:
      | evidence_id | participant_id | metric    | achieved_on | evidence_type |
      | E1          | P1             | job_entry | 2015-05-10  | payslip       |

  Scenario: A second run the same day with nothing new reuses the first
    When the intermediary reconciles 2015-Q2 at 2015-07-03T10:00
    And the intermediary reconciles 2015-Q2 at 2015-07-03T16:00
    Then the second run reused the first run's work and posted nothing
    And the second run reports what working it all out again reports

  Scenario: A revocation in between is worked out again
    When the intermediary reconciles 2015-Q2 at 2015-07-03T10:00
    And the verifier revokes E1 at 2015-07-03T12:00
    And the intermediary reconciles 2015-Q2 at 2015-07-03T16:00
    Then the second run worked everything out again and posted:
      | payer | amount   |
      | dwp   | -2800.00 |
      | topup | -700.00  |

  Scenario: The next day the quarter is worked out again
    When the intermediary reconciles 2015-Q2 at 2015-07-03T10:00
    And the intermediary reconciles 2015-Q2 at 2015-07-04T10:00
    Then the second run worked everything out again and posted:
      | payer | amount |
