Feature: The provider's progress: are we on track?
  North Care supports young people into tenancies and keeps them there. At the end of each
  quarter it opens its progress workbook to see how this quarter went against the last.

  Background:
    Given North Care's first two quarters are in the ledger
    When North Care opens its progress workbook for 2015-Q2

  Scenario: Are we on track this quarter?
    Then the quarter sheet shows 2 sustained 3 months this quarter, 0 the quarter before and 0 a year ago
    And the quarter sheet shows 0 starts this quarter against 4 the quarter before

  Scenario: Does any step of the funnel exceed the step it follows?
    Then no step of the funnel is above 100% of the step it follows
