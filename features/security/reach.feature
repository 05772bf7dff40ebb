Feature: Who reaches a contract follows the contract in force
  The intermediary runs the Innovation Fund contract for the Department for Work and Pensions
  and a top-up fund, which pay 80% and 20% of every outcome. Acme and Bravo deliver it. Each
  party holds a token for this contract. When the contract is amended, only the parties the
  version in force names can still use theirs; a council's token reaches only the contracts it
  was issued for; and each payer sees only its own money.

  Scenario: A provider dropped from the contract is turned away at its next request
    Given Bravo has read the contract with its token
    When the intermediary puts in force a version of the contract that no longer names Bravo
    Then Bravo's next request is refused because its token reaches no contract
    And Bravo cannot submit evidence either
    And Acme still reads the contract

  Scenario: A draft amendment changes nothing until the intermediary puts it in force
    When the intermediary loads, as a draft, a version of the contract that no longer names Bravo
    Then Bravo still reads the contract
    When the intermediary puts that draft in force
    Then Bravo's next request is refused because its token reaches no contract
    When the intermediary puts the earlier version back in force
    Then Bravo still reads the contract

  Scenario: Two councils with the same name in different contracts are different councils
    Given another intermediary's contract also names a commissioner "council"
    When the intermediary issues a token to "council" for its own contract
    Then that token lists only the intermediary's own contract
    And the other intermediary's contract answers as if it did not exist

  Scenario: A token is issued only for a contract and a party the contract in force names
    When the intermediary asks for a token for Acme without naming a contract
    Then it is refused and told to name the contract
    When the intermediary asks for a token for Bravo after Bravo was dropped from the contract
    Then it is refused because Bravo is not a provider of the contract in force

  Scenario: A payer sees its own money and none of the other payer's
    Given Acme's participant P1 entered a job on 2015-03-01, verified and reconciled
    When the top-up fund reads the postings, the quarter's run and the periods
    Then it sees only its own share of 700.00
    And asking for the department's postings answers that there is no such payer
