Feature: The commissioner's quarterly payment report
  The council pays 80% of every accommodation outcome and the top-up fund 20%. Each quarter the
  council downloads its payment report: what it is asked to pay, line by line, why, and what
  earned nothing. Every line must add up to the claim, to the penny.

  Background:
    Given the accommodation contract has been reconciled for 2015-Q1 and 2015-Q2

  Scenario: I download the quarter's payment report and every line adds up to the claim
    When the council downloads its payment report for 2015-Q2 as a workbook
    Then the workbook has the sheets Cover, Summary, Lines, Not payable, Money received and Payments by period
    And the lines add up to the claim of 2000.00
    And the summary shows:
      | item                      | amount   |
      | Claim this period         | 2000.00  |
      | of which adjustments      | -400.00  |
      | Claimed to date           | 3200.00  |
      | Commitment remaining      | 6800.00  |
    And every amount is shown in pounds

  Scenario: I see what was taken back, and why
    When the council downloads its payment report for 2015-Q2 as a workbook
    Then the line for P2's entry is an adjustment of -400.00 correcting 2015-Q1

  Scenario: I see the evidence that earned nothing, and why
    When the council downloads its payment report for 2015-Q2 as a workbook
    Then the report lists as not payable:
      | evidence_id | reason               |
      | E4          | prerequisite_not_met |
      | E8          | rejected             |

  Scenario: The same ledger gives the same file
    When the council downloads its payment report for 2015-Q2 as csv twice
    Then the two files are identical
