Feature: An investor reads its returns
  The trusts and foundations behind the Peterborough bond put in their capital quarter by
  quarter. The intermediary records the vehicle's cash; the foundations read what they have
  drawn, what came back and the return so far.

  Scenario: The foundations read their returns after a first repayment of capital
    Given the Peterborough contract is in force
    And the intermediary records these cash transactions:
      | date       | kind          | tranche     | component | amount    | reference |
      | 2010-10-01 | capital_drawn | foundations |           | 250000.00 | DRAW-1    |
      | 2011-01-01 | capital_drawn | foundations |           | 250000.00 | DRAW-2    |
      | 2014-06-30 | distribution  | foundations | capital   | 100000.00 | DIST-1    |
    When the foundations read their returns on 2014-06-30
    Then they have drawn 500000.00 and had 100000.00 of capital back
    And 400000.00 of their capital is still outstanding
    And their return so far is negative
