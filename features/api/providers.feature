Feature: A provider works with the contract over the API
  Acme Youth Services and Bravo Services deliver the programme. Each uploads evidence from its
  own case system and follows its own participants' progress: neither sees the other's people.

  Background:
    Given the intermediary has enrolled Acme's participant P1 and Bravo's participant B1

  Scenario: A provider uploads evidence and sees its progress
    When Acme uploads a file of evidence that P1 entered a job on 2015-03-01 with a payslip
    Then the upload is accepted with 1 new row
    When the intermediary verifies the evidence and reconciles 2015-Q1
    And Acme asks for its progress in 2015-Q1
    Then Acme's progress names P1
    And none of Bravo's participants appear in it

  Scenario: An upload with a header and no rows is refused, not half stored
    When Acme uploads an evidence file with a header and no rows
    Then the upload is refused at row 2 because the file has no rows

  Scenario Outline: A provider cannot submit evidence for a participant it did not enrol
    When Acme uploads a file of evidence that <participant> entered a job on 2015-03-01 with a payslip
    Then the upload is refused at row 2 because <participant> is not one of Acme's participants

    Examples: Bravo's participant, and an id nobody enrolled
      | participant |
      | B1          |
      | Z9          |
