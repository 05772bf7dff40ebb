Feature: Each party signs in to the dashboard and sees only its own part
  A provider's caseworker and a council's contract manager open the dashboard in a browser,
  sign in with the token their intermediary gave them, and see what the API would show them.

  Background:
    Given acme's client P1 and bravo's client B1 have verified outcomes

  Scenario: A provider sees its own clients and not another provider's
    When acme's caseworker signs in to the dashboard
    Then the contract page lists client "P1" and not client "B1"
    And the page for client "B1" is not found
    And the page for client "P1" shows its evidence "E1"

  Scenario: A commissioner sees its contract's periods and money, not a provider's list
    When dwp's contract manager signs in to the dashboard
    Then the contract page shows the period "2015-Q1" with what was claimed and received

  Scenario: A signed-out caseworker is asked to sign in again
    Given acme's caseworker has signed in to the dashboard
    When the caseworker signs out
    Then the contract page asks for a token again

  Scenario: A form sent from another site is refused
    When someone sends the sign-in form without its CSRF token
    Then no session is made
