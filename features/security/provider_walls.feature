Feature: A provider cannot see, or get in the way of, another provider's clients
  Acme Youth Services and Bravo Services both deliver the programme, and both number their
  clients P1, P2, ... in their own case systems. A provider who tries to learn about the other's
  clients learns nothing: every answer it gets is exactly the answer it would get if the other
  provider did not exist. And nothing it uploads can stop the other provider's uploads.

  Background:
    Given Acme has enrolled its client P1, born 1995-06-01

  Scenario: Both providers have a client called P1
    When Bravo enrols its own client P1, born 1999-03-01
    Then Bravo's upload is accepted with 1 new row
    And the contract holds two people called P1, one Acme's and one Bravo's

  Scenario: Guessing the birth date of Acme's client tells Bravo nothing
    When Bravo enrols a client P1, born 1995-06-01
    And Bravo enrols a client Q7, born 1995-06-01
    Then Bravo gets exactly the same answer both times
    And Acme's P1 is still born 1995-06-01

  Scenario: Evidence for Acme's client is refused as if nobody had that id
    When Bravo uploads evidence that P1 entered a job on 2015-03-01
    And Bravo uploads evidence that Z9 entered a job on 2015-03-01
    Then Bravo gets exactly the same answer both times
    And it is refused at row 2 because the client is not one of Bravo's

  Scenario: Bravo cannot take Acme's evidence ids first
    Given Bravo has enrolled its client B1
    When Bravo uploads evidence E1 that B1 entered a job on 2015-03-01
    And Acme uploads evidence E1 that P1 entered a job on 2015-03-01
    Then Acme's upload is accepted with 1 new row

  Scenario: Bravo cannot read why Acme's client was paid
    When Bravo asks why P1 was paid
    And Bravo asks why Z9 was paid
    Then both are not found, in the same words but for the id
    And Acme asking why P1 was paid is told about P1

  Scenario: A client id a spreadsheet would run as a formula is refused
    When Bravo enrols a client =HYPERLINK("http://example.org","Click for details"), born 1999-03-01
    Then it is refused at row 2 because the participant_id starts with '='
