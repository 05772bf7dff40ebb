Feature: Paying a young person's outcomes from verified evidence
  The Innovation Fund pays for each young person's outcomes once the evidence is in and
  verified: 80% from DWP and 20% from the top-up fund, never more than 8,200.00 for one person.
  Job entry pays 3,500.00; sustained employment pays 2,000.00 but only 91 days or more after
  job entry; a level 2 qualification pays 3,300.00 if gained within 24 months of starting.

  Background:
    Given the Innovation Fund test contract is in force
    And these young people are enrolled:
      | participant_id | start_date | date_of_birth |
      | P1             | 2015-02-01 | 1995-06-01    |

  Scenario: Sustained employment pays only once job entry is 91 days behind it
    Given the provider sends this evidence and it is verified:
      | evidence_id | participant_id | metric        | achieved_on | evidence_type |
      | E1          | P1             | job_entry     | 2015-03-01  | payslip       |
      | E2          | P1             | job_sustained | 2015-05-01  | payslip       |
    When the quarter 2015-Q3 is reconciled
    Then P1 has been paid 3500.00 in all
    And evidence E2 is not paid because "prerequisite_not_met"
    Given the provider sends this evidence and it is verified:
      | evidence_id | participant_id | metric        | achieved_on | evidence_type |
      | E3          | P1             | job_sustained | 2015-06-15  | payslip       |
    When the quarter 2015-Q4 is reconciled
    Then P1 has been paid 5500.00 in all
    And the quarter 2015-Q4 holds these postings:
      | participant_id | metric        | payer | amount  | kind            |
      | P1             | job_sustained | dwp   | 1600.00 | outcome_payment |
      | P1             | job_sustained | topup | 400.00  | outcome_payment |

  Scenario: The per-person cap is met exactly, and the last outcome is paid in part
    Given the provider sends this evidence and it is verified:
      | evidence_id | participant_id | metric        | achieved_on | evidence_type |
      | E1          | P1             | job_entry     | 2015-03-01  | payslip       |
      | E2          | P1             | job_sustained | 2015-06-15  | payslip       |
      | E3          | P1             | nqf2          | 2015-09-01  | certificate   |
    When the quarter 2015-Q4 is reconciled
    Then P1 has been paid 8200.00 in all
    And the quarter 2015-Q4 holds these postings for nqf2:
      | participant_id | metric | payer | amount  | kind            |
      | P1             | nqf2   | dwp   | 2160.00 | outcome_payment |
      | P1             | nqf2   | topup | 540.00  | outcome_payment |

  Scenario: A revoked verification is taken back by a negative adjustment
    Given the provider sends this evidence and it is verified:
      | evidence_id | participant_id | metric    | achieved_on | evidence_type |
      | E1          | P1             | job_entry | 2015-03-01  | payslip       |
    When the quarter 2015-Q3 is reconciled
    And the verifier revokes E1 because "the employer withdrew the letter"
    And the quarter 2015-Q4 is reconciled
    Then P1 has been paid 0.00 in all
    And the quarter 2015-Q4 holds these postings:
      | participant_id | metric    | payer | amount   | kind       |
      | P1             | job_entry | dwp   | -2800.00 | adjustment |
      | P1             | job_entry | topup | -700.00  | adjustment |
    And the explanation for P1 says "revoked by verifier"

  Scenario: A qualification gained outside its window is not paid, and says why
    Given it is 2017-03-10
    And the provider sends this evidence and it is verified:
      | evidence_id | participant_id | metric | achieved_on | evidence_type |
      | E1          | P1             | nqf2   | 2017-03-01  | certificate   |
    When the quarter 2017-Q1 is reconciled
    Then P1 has been paid 0.00 in all
    And evidence E1 is not paid because "outside_window"
    And the explanation for P1 says "not paid: outside_window"
