Feature: Closing a quarter with the payers
  At each quarter end the intermediary reconciles the quarter: everything owed and not yet
  claimed is posted and claimed from each payer (80% from DWP, 20% from the top-up fund), the
  money the payers send is matched against the claims, and the quarter is reconciled only when
  every penny is explained. Job entry pays 3,500.00 per young person.

  Background:
    Given the Innovation Fund test contract is in force
    And these young people are enrolled:
      | participant_id | start_date | date_of_birth |
      | P1             | 2015-02-01 | 1995-06-01    |
      | P2             | 2015-03-01 | 1996-01-01    |

  Scenario: The quarter's claims are paid and the quarter reconciles
    Given the provider sent this evidence on 2015-06-20 and it was verified:
      | evidence_id | participant_id | metric    | achieved_on | evidence_type |
      | E1          | P1             | job_entry | 2015-05-10  | payslip       |
    When the intermediary reconciles 2015-Q2 on 2015-07-03
    Then these claims are sent for 2015-Q2:
      | payer | amount  |
      | dwp   | 2800.00 |
      | topup | 700.00  |
    And on 2015-07-03 the quarter 2015-Q2 is "reconciled_with_pending"
    When the payers pay, quoting the claim references:
      | payer | amount  | date       |
      | dwp   | 2800.00 | 2015-07-20 |
      | topup | 700.00  | 2015-07-28 |
    Then on 2015-08-10 the quarter 2015-Q2 is "reconciled" with nothing unexplained

  Scenario: Reconciling the quarter again claims nothing more
    Given the provider sent this evidence on 2015-06-20 and it was verified:
      | evidence_id | participant_id | metric    | achieved_on | evidence_type |
      | E1          | P1             | job_entry | 2015-05-10  | payslip       |
    When the intermediary reconciles 2015-Q2 on 2015-07-03
    And the intermediary reconciles 2015-Q2 on 2015-07-04
    Then the second run posted nothing and sent no claim

  Scenario: Evidence that arrives after the quarter was closed is claimed in the next quarter
    Given the provider sent this evidence on 2015-06-20 and it was verified:
      | evidence_id | participant_id | metric    | achieved_on | evidence_type |
      | E1          | P1             | job_entry | 2015-05-10  | payslip       |
    And the intermediary reconciles and closes 2015-Q2 on 2015-07-03
    And the provider sent this evidence on 2015-07-15 and it was verified:
      | evidence_id | participant_id | metric    | achieved_on | evidence_type |
      | E2          | P2             | job_entry | 2015-06-25  | payslip       |
    When the intermediary reconciles 2015-Q2 on 2015-07-20
    Then the run is refused because the quarter is closed
    When the intermediary reconciles 2015-Q3 on 2015-10-05
    Then these claims are sent for 2015-Q3:
      | payer | amount  |
      | dwp   | 2800.00 |
      | topup | 700.00  |
    And the 2015-Q3 claims correct 2015-Q2 by 3500.00

  Scenario: Paying one claim too much and another too little is not reconciled
    Given the provider sent this evidence on 2015-06-20 and it was verified:
      | evidence_id | participant_id | metric    | achieved_on | evidence_type |
      | E1          | P1             | job_entry | 2015-05-10  | payslip       |
    When the intermediary reconciles 2015-Q2 on 2015-07-03
    And the payers pay, quoting the claim references:
      | payer | amount  | date       |
      | dwp   | 2900.00 | 2015-07-20 |
      | topup | 600.00  | 2015-07-28 |
    Then on 2015-08-10 the quarter 2015-Q2 is "breaks" with nothing unexplained
    And the breaks are:
      | payer | kind      | difference |
      | dwp   | overpaid  | 100.00     |
      | topup | underpaid | -100.00    |

  Scenario: Money with a reference nobody knows is a break to ask the payer about
    Given the provider sent this evidence on 2015-06-20 and it was verified:
      | evidence_id | participant_id | metric    | achieved_on | evidence_type |
      | E1          | P1             | job_entry | 2015-05-10  | payslip       |
    When the intermediary reconciles 2015-Q2 on 2015-07-03
    And the payers pay:
      | payer | amount  | date       | reference   |
      | dwp   | 2800.00 | 2015-07-20 | BACS 771234 |
    Then the money received from dwp on 2015-07-20 is a break: "unknown_reference"
