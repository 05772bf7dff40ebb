Feature: The claim pack I approve and pay from
  The council pays 80% of every accommodation outcome and the top-up fund 20%. Each quarter the
  council's finance team is sent a claim pack. We approve it from its first sheet, our auditor
  samples its lines, and accounts payable keys in the reference and pays by the due date from
  the PDF claim we sign. We should never have to pivot a sheet or ask what a line means.

  Background:
    Given the accommodation contract has been reconciled and claimed for 2015-Q1 and 2015-Q2

  Scenario: I can approve the claim from its first sheet
    When the council opens its claim pack for 2015-Q2
    Then the first sheet names the claim reference, the day it was issued and the day it is due
    And the first sheet says the claim is from "The council (council)" and for 2,000.00 GBP
    And the totals by outcome add up to the claim, line by line
    And the totals show 2 "Accommodation sustained 3 months" at 1,500.00, our 80% share 2,400.00, nothing cut

  Scenario: I see what was taken back from an earlier claim, from which claim, and why
    When the council opens its claim pack for 2015-Q2
    Then what changed since the last claim takes back 400.00 for P2's "Move into accommodation"
    And that change quotes the 2015-Q1 claim it reverses and says its evidence was revoked

  Scenario: I see what is left of our commitment before and after this claim
    When the council opens its claim pack for 2015-Q2
    Then the council's commitment had 8,800.00 left before this claim and has 6,800.00 left after it

  Scenario: Our auditor can sample a line from the workbook
    When the council opens its claim pack for 2015-Q2
    Then every line says its evidence type, when it was submitted, who verified it and when
    And the headings are in words, not field names

  Scenario: The PDF claim I sign names the claim on every page
    When the council downloads the claim for 2015-Q2 as a PDF
    Then every page names the claim reference and says which page of how many it is
    And the PDF claims the same 2,000.00 as the workbook

  Scenario: The SIB manager sees every payer's claim side by side
    When the SIB manager opens the claims for 2015-Q2 for every payer
    Then it lists the council's and the top-up fund's claims, each with its reference
    And their amounts add up to everything claimed for 2015-Q2
