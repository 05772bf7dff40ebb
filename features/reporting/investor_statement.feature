Feature: The investor statement: what will we get back, and when?
  The Peterborough foundations committed 5,000,000.00 and draw it a quarter at a time, while the
  One Service is paid from it. Halfway through, they open the statement and ask what the rest
  of the contract will cost them and bring them.

  Background:
    Given the Peterborough contract is in force for the statement
    And 250000.00 of the foundations' capital was drawn every quarter from 2010-10-01, 10 times
    When the investors open the statement workbook for 2013-Q1

  Scenario: Is the capital we have still to put in part of the forecast?
    Then the cash forecast draws the 2500000.00 still undrawn, quarter by quarter
    And every quarter of the cash forecast has a period and a closing cash

  Scenario: Can we calculate with the multiples?
    Then every money multiple in the workbook is a number shown with an "x"
