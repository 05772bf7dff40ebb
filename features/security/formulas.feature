Feature: What a provider sends is shown as text, never run as a formula
  The council opens its payment report in a spreadsheet to check what it is asked to pay. The
  ids and references in it are whatever the providers typed. A spreadsheet runs a cell that
  starts with "=" (or "+", "-", "@") as a formula: one that sends me to a web site, or starts a
  program. Whatever a provider, a verifier or a payer sent must reach me as the text they sent,
  in the workbook and in the csv file, and an odd character stored long ago must never stop me
  getting my report.

  Background:
    Given the accommodation contract has been reconciled for 2015-Q1 and 2015-Q2
    And a provider's participant id stored before ids were checked is =HYPERLINK("http://evil.example","Click for details")
    And North Care sent evidence whose reference is =HYPERLINK("http://evil.example","ref")

  Scenario: A provider sends an id that is a formula; my payment report shows it as text
    When the council downloads its payment report for 2015-Q2 as a workbook
    Then no cell of the workbook is a formula
    And the lines show the participant id =HYPERLINK("http://evil.example","Click for details") as text
    And the lines show the reference =HYPERLINK("http://evil.example","ref") as text

  Scenario: My csv file starts no formula, and its amounts are still numbers
    When the council downloads its payment report for 2015-Q2 as csv
    Then no cell of the csv file starts with = + - @ a tab or a carriage return
    And the participant id reads '=HYPERLINK("http://evil.example","Click for details") with one apostrophe in front
    And the amounts are plain numbers, the adjustment -400.00 included

  Scenario: A control character stored long ago does not stop my report
    Given an evidence id stored before control characters were refused holds a vertical tab
    When the council downloads its payment report for 2015-Q2 as a workbook
    Then the not payable sheet shows that evidence id with the vertical tab drawn as ␋
