Feature: A caseworker's broken file is answered in words, and stores nothing
  Sam is a caseworker at Acme Youth Services. On a busy Friday Sam exports files from the case
  system, renames them, pastes references out of emails, and sometimes picks the wrong file.
  Whatever Sam sends, the ledger says what is wrong with it, where, and what to do; it never
  stores half of it, and it never falls over.

  Background:
    Given Acme has enrolled its participant P1

  Scenario Outline: A file that is not what it says it is
    When Sam uploads <what>, named <name>
    Then the upload is refused because the file <says>
    And nothing new is stored

    Examples:
      | what                                      | name             | says                                 |
      | a spreadsheet saved as Windows CSV        | evidence.csv     | is not UTF-8 (it looks like Latin-1  |
      | a spreadsheet saved as Unicode text       | evidence.csv     | is not UTF-8 (it looks like UTF-16   |
      | a screenshot of the spreadsheet           | evidence.csv     | is a PNG image, not a CSV file       |
      | a screenshot of the spreadsheet           | evidence.xlsx    | is not a valid .xlsx workbook        |
      | a workbook cut off half way by the email  | evidence.xlsx    | is not a valid .xlsx workbook        |
      | an old Excel 97 workbook                  | evidence.xlsx    | an old Excel .xls workbook           |

  Scenario: A reference pasted from an email carries an invisible character
    When Sam uploads evidence for P1 whose reference holds a hidden bell character
    Then the upload is refused at row 2, column reference, because it contains a control character (U+0007)
    And nothing new is stored

  Scenario: A reference pasted with a line break in it
    When Sam uploads evidence for P1 whose reference runs over two lines
    Then the upload is refused at row 2, column reference, because it contains a line break
    And nothing new is stored

  Scenario: Earnings typed with a slip of the finger
    When Sam uploads earnings for P1 of 99999999999999999999999999.99
    Then the upload is refused at row 2, column quantity, because it is too large
    And nothing new is stored

  Scenario: A file with thousands of mistakes lists the first thousand and counts the rest
    When Sam uploads 1500 evidence rows that all have the date 2015-02-31
    Then the answer lists 1000 problems and says 500 more were not listed
    And nothing new is stored

  Scenario: The ledger is busy with someone else's import
    Given another import holds the ledger's write lock
    When Sam uploads evidence for P1 that entered a job on 2015-03-01
    Then Sam is told the ledger is busy and to try again in a few seconds
    And nothing new is stored
    When the other import has finished and Sam sends the same file again
    Then the upload is accepted
