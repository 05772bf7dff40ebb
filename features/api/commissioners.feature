Feature: A commissioner downloads what it owes for a quarter
  The Department for Work and Pensions pays 80% of every outcome and the top-up fund 20%. At the
  end of a quarter the department downloads its payment report: every line that makes up the
  claim, in a spreadsheet it can file.

  Scenario: The department downloads the quarter's payment report
    Given Acme's participant P1 entered a job on 2015-03-01, verified
    And the intermediary has reconciled 2015-Q1
    When the department downloads its payment report for 2015-Q1 as a spreadsheet
    Then the file is called "dwp-test-commissioner-2015-Q1-dwp.xlsx"
    And its payment lines add up to 2800.00
    But the department cannot download the top-up fund's report
