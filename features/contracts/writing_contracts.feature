Feature: Writing a contract and checking it before anyone is paid from it
  As the intermediary running an outcomes contract, I write its rate card, its rules and who
  pays what into a spec file. Before the contract is loaded I check it, so that a mistake is
  found at my desk, with where it is and what to do, and not in a commissioner's invoice.

  Our test contract: a council and a top-up fund pay for young people's outcomes, referred
  during 2016; the rest of each scenario's contract is written out in the scenario.

  Scenario: A contract that pays for sustained employment only after job entry is accepted
    Given a contract with these outcomes:
      """
      metrics:
        - id: job_entry
          name: Entry into employment
          tariff:
            - {from: 2016-01-01, price: "2600.00"}
        - id: job_sustained_13w
          name: Employment sustained 13 weeks
          prerequisites:
            - {metric: job_entry, min_gap: {weeks: 13}}
          tariff:
            - {from: 2016-01-01, price: "1000.00"}
      """
    When I validate it
    Then it is accepted with 2 metrics and 1 cohort
    And sustained employment is only paid 13 weeks or more after a job entry

  Scenario: A mistake in payer shares is reported with where it is
    Given a contract whose payers share each outcome like this:
      """
      payer_shares:
        - {from: 2016-01-01, shares: {council: "70", top-up: "20"}}
      """
    When I validate it
    Then it is refused
    And I am told "payer shares add up to 90, not 100" at "$.payer_shares[0].shares"
    And I am pointed to the line of the file where those shares are written

  Scenario: Every mistake in a contract is reported in one go
    Given a contract with these outcomes:
      """
      metrics:
        - id: accommodation_entry
          name: Move into accommodation
          prerequisites:
            - {metric: accommodation_sustained_3m}
          tariff:
            - {from: 2016-01-01, price: "500.00"}
        - id: accommodation_sustained_3m
          name: Accommodation sustained 3 months
          prerequisites:
            - {metric: accommodation_entry, min_gap: {months: 3}}
          tariff:
            - {from: 2016-01-01, price: "1500.00"}
        - id: accommodation_sustained_6m
          name: Accommodation sustained 6 months
          prerequisites:
            - {metric: acommodation_sustained_3m, min_gap: {months: 3}}
          tariff:
            - {from: 2016-01-01, price: "1500.00"}
      """
    And its payers share each outcome like this:
      """
      payer_shares:
        - {from: 2016-01-01, shares: {council: "70", top-up: "20"}}
      """
    When I validate it
    Then it is refused
    And I am told about each of these mistakes:
      | where                                  | what                                                                         |
      | $.metrics[0].prerequisites[0].metric   | accommodation_entry -> accommodation_sustained_3m -> accommodation_entry    |
      | $.metrics[2].prerequisites[0].metric   | unknown metric `acommodation_sustained_3m`                                   |
      | $.payer_shares[0].shares               | payer shares add up to 90, not 100                                           |

  Scenario: A per-person cap below one outcome's price is a warning, not a refusal
    Given a contract with these outcomes:
      """
      metrics:
        - id: qualification_level_3
          name: First NQF level 3 qualification
          tariff:
            - {from: 2016-01-01, price: "5100.00"}
      caps:
        per_participant: "5000.00"
      """
    When I validate it
    Then it is accepted with 1 metric and 1 cohort
    And I am warned "below the price of qualification_level_3 (5100.00)" at "$.caps.per_participant"

  Scenario: A typo in a key is caught and the right key suggested
    Given a contract with these outcomes:
      """
      metrics:
        - id: job_entry
          name: Entry into employment
          tarif:
            - {from: 2016-01-01, price: "2600.00"}
      """
    When I validate it
    Then it is refused
    And I am told "did you mean `tariff`?" at "$.metrics[0].tarif"
    And I am told "missing `tariff`" at "$.metrics[0]"

  Scenario: An amount written without quotes is refused with the fix
    Given a contract with these outcomes:
      """
      metrics:
        - id: job_entry
          name: Entry into employment
          tariff:
            - {from: 2016-01-01, price: 2600.50}
      """
    When I validate it
    Then it is refused
    And I am told "write it in quotes" at "$.metrics[0].tariff[0].price"

  Scenario: The worked example in a contract is checked against the payment rules
    Given a contract with these outcomes:
      """
      metrics:
        - id: job_entry
          name: Entry into employment
          tariff:
            - {from: 2016-01-01, price: "2600.00"}
      examples:
        - name: a job entry is paid 80/20
          participants:
            - {participant_id: P1, cohort: referrals-2016, provider: provider-a,
               start_date: 2016-02-01}
          evidence:
            - {evidence_id: E1, participant_id: P1, metric: job_entry, achieved_on: 2016-03-01}
          expect:
            lines:
              - {participant_id: P1, metric: job_entry, payer: council, amount: "2080.00"}
              - {participant_id: P1, metric: job_entry, payer: top-up, amount: "520.00"}
      """
    When I run its examples
    Then the example "a job entry is paid 80/20" passes
