Feature: Consent, and withdrawing it
  As a young person on the programme I say, when I join, what my information may be used for:
  to be paid for my outcomes (I cannot join without that), and, if I am happy to, to be counted
  in the analysis of what works for whom. I can withdraw my consent at any time. After that,
  nothing new about me counts, my details are erased, and nobody is told it was me; what was
  already paid for what I achieved stays paid.
  As Acme, the provider, I record what each person agreed to when I enrol them, and the day a
  person withdrew.

  Background:
    Given the synthetic boundaries contract, which needs consent to be paid for outcomes
    And Acme enrols these people, with what each agreed to:
      | participant_id | start_date | date_of_birth | payment_by_results | what_works_for_whom |
      | P1             | 2020-02-03 | 2004-06-16    | true               | true                |
      | P2             | 2020-02-03 | 1999-11-23    | true               | false               |

  Scenario: Someone who does not agree to be paid for cannot be enrolled
    When Acme tries to enrol Q1, who did not agree to payment_by_results
    Then the file is refused at row 2, in the column payment_by_results
    And nobody new is enrolled

  Scenario: What I achieved before I withdrew stays paid, nothing after counts, my details go
    Given on 2020-10-05 Acme sends this evidence and it is verified:
      | evidence_id | participant_id | metric              | achieved_on |
      | E1          | P1             | accommodation_entry | 2020-03-02  |
      | E2          | P1             | job_started_16      | 2020-07-01  |
    And on 2020-10-05 the quarter 2020-Q3 is reconciled
    When on 2020-10-06 Acme records that P1 withdrew their consent that day
    And on 2020-10-20 Acme sends this evidence and it is verified:
      | evidence_id | participant_id | metric               | achieved_on |
      | E3          | P1             | accommodation_entry  | 2020-10-10  |
      | E4          | P1             | wellbeing_assessment | 2020-10-01  |
    And on 2021-01-05 the quarter 2020-Q4 is reconciled
    Then P1 has been paid 1200.00 in all, and every earlier posting is as it was
    And evidence E3 and E4 are not paid because "after_withdrawal"
    And nobody can read P1's date of birth any more
    And the audit trail still verifies

  Scenario: The provider's report counts withdrawals and never says who
    When on 2020-10-06 Acme records that P1 withdrew their consent that day
    Then the provider's report for 2020-Q4 says "1 participant has withdrawn their consent"
    And the report names nobody as withdrawn
    And neither P1, who withdrew, nor P2, who did not agree, is counted in what works for whom
