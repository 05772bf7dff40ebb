Feature: The provider's progress report
  North Care's service manager reads the progress report every quarter: how many people are
  housed and staying housed, whose deadlines are near, what evidence is stuck, and the flags
  the contract asks providers to act on, such as 3-month sustainment falling below 70% of
  entries.

  Background:
    Given the accommodation contract has been reconciled for 2015-Q1 and 2015-Q2

  Scenario: The report flags a drop in 3-month sustainment
    When North Care's service manager downloads the progress report for 2015-Q2
    Then the report flags "3-month sustainment below 70% of entries" at 50.0% (1 of 2)

  Scenario: The report lists the people whose deadlines are near
    When North Care's service manager downloads the progress report for 2015-Q2
    Then the report lists these deadlines:
      | participant_id | metric       | on         | within |
      | P1             | sustained_6m | 2015-08-01 | 0-30   |
      | P2             | entry        | 2015-08-01 | 0-30   |
      | P3             | sustained_6m | 2015-09-01 | 31-60  |
      | P4             | entry        | 2015-09-01 | 31-60  |
    And it says P3's 3-month sustainment was due on 2015-06-01 and never claimed

  Scenario Outline: A provider sees only its own participants
    When <reader>'s service manager downloads the progress report for 2015-Q2
    Then no participant of <other> appears anywhere in it

    Examples:
      | reader     | other      |
      | North Care | South Care |
      | South Care | North Care |
