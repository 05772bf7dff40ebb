Feature: Sharing a contract with the sector through INDIGO
  As the intermediary running an impact bond, I send what the contract pays and has paid to the
  Government Outcomes Lab's INDIGO dataset, so that commissioners elsewhere can learn from it.
  The export is written in INDIGO's own fields, from the contract and its ledger, and it shares
  totals only: nobody the contract serves can be found in it.

  Our contract: New Horizons (Career Connect), a DWP Innovation Fund social impact bond that
  INDIGO publishes as INDIGO-POJ-0143. Its own examples are played through the ledger and every
  claim is paid.

  Scenario: The export of a finished contract says what INDIGO publishes
    Given New Horizons has run and every claim has been paid
    When I export it for INDIGO with its INDIGO profile after the last outcome date
    Then it is INDIGO project "INDIGO-POJ-0143" named "New Horizons (Career Connect)"
    And its stage of development is "Complete"
    And its outcome payments made are the money DWP sent, in GBP
    And no participant's id or date of birth is anywhere in it

  Scenario: Only the intermediary can read the export over the API
    Given the API's test contract
    When a commissioner asks for its INDIGO export
    Then the commissioner is refused
    But the intermediary gets it
