Feature: What the Peterborough investors got back
  About 5m from 17 trusts and foundations paid for the One Service. The Ministry of Justice pays
  20,000.00 for every reconviction event avoided, but only when a cohort reconvicts at least 10%
  less than its comparison group, or both cohorts together at least 7.5% less. What the vehicle
  receives goes first to return the foundations' capital, then to them as a return of at most
  13% a year.

  Background:
    Given the Peterborough contract is in force
    And the foundations' capital of 250000.00 was drawn every quarter from 2010-10-01, 20 times
    And every quarter 225000.00 paid the One Service and 12500.00 paid costs
    And the evaluator reports these results:
      | result_id | metric                     | cohort   | observed | comparison | units |
      | R1        | reconviction_events_cohort | cohort-1 | 1.42     | 1.55       | 1000  |
      | R2        | reconviction_events_cohort | cohort-2 | 1.38     | 1.52       | 1000  |

  Scenario: The final pooled result pays: capital back plus about 3% a year
    Given the evaluator reports a pooled result of 1.4105 against 1.55 over 2000 men
    And the Ministry of Justice paid 5580000.00 on 2017-09-29
    When the vehicle distributes its cash on 2017-09-30
    Then the investor report for 2017-Q3 shows 5000000.00 of capital returned to the foundations
    And the investors earned between 2.5% and 4% a year
    And nothing more is owed by the Ministry of Justice

  Scenario: The pooled result falls short of 7.5%: no outcome income and a loss
    Given the evaluator reports a pooled result of 1.4415 against 1.55 over 2000 men
    When the vehicle distributes its cash on 2017-09-30
    Then the investor report for 2017-Q3 shows no outcome income
    And the investors lost 4750000.00 with a negative return

  Scenario: A cash file with a mistake is refused whole
    When the intermediary imports this cash file:
      | date       | kind          | tranche     | party | amount    | reference |
      | 2017-10-01 | capital_drawn | foundations |       | 100.00    | LATE-1    |
      | 2017-10-02 | capital_drawn | seniors     |       | 50.00     | LATE-2    |
    Then the file is refused because row 3 names tranche "seniors"
    And the investor report for 2017-Q4 shows 5000000.00 drawn
