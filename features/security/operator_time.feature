Feature: An operator who types the wrong cut-off
  Payments follow what the ledger knew at a moment: the cut-off. A hurried operator may type
  tomorrow instead of yesterday, last year instead of this one, or a quarter the contract never
  had; a provider may type the wrong year on a piece of evidence. None of these may quietly move
  money. A cut-off in the future is refused. A quarter run at a cut-off earlier than an earlier
  run would take back everything paid since, so it is refused too, unless the operator says so
  in words, sees what it would post first and says yes. Nobody is ever paid for an outcome
  dated after the day its evidence was sent.

  The Innovation Fund test contract runs from 2015-Q1 to 2018-Q1 (its last outcome date is
  2017-12-31, and payers have 30 days). Job entry pays 3,500.00: 2,800.00 from DWP and 700.00
  from the top-up fund.

  Background:
    Given the Innovation Fund test contract is in force
    And four young people, P1 to P4, are enrolled
    And P1's job entry of 2015-08-10 was sent on 2015-08-20 and verified on 2015-08-25
    And P2's and P3's job entries of September were sent on 2015-10-10 and verified on 2015-10-12
    And the intermediary reconciled 2015-Q3 on 2015-10-20

  Scenario: A cut-off in the future is refused and nothing is written
    When the operator reconciles 2015-Q4 as of tomorrow
    Then the operator is told "is in the future"
    And nothing was written to the ledger

  Scenario: A cut-off earlier than an earlier run's is stopped before it takes money back
    When the operator reconciles 2015-Q4 as of 2015-10-05
    Then the operator is told "is earlier than the cut-off of run"
    And the operator is told how to ask for it: "--rewind-to 2015-10-05T00:00:00 --reason"
    And nothing was written to the ledger

  Scenario: Going back on purpose shows what it would take back, and a no posts nothing
    When the operator rewinds 2015-Q4 to 2015-10-05 because "payer asked for the 5 October position" and answers no
    Then the operator was shown that it would make 4 postings
    And the operator was shown "dwp: 2 posting(s), -5600.00, of which 2 clawback(s) -5600.00; credit claim DWP-TEST-2015-Q4-DWP-2 -5600.00"
    And the operator was shown "P2 job_entry occurrence 1 dwp -2800.00"
    And nothing was written to the ledger

  Scenario: Going back on purpose and saying yes posts what was shown and keeps the reason
    When the operator rewinds 2015-Q4 to 2015-10-05 because "payer asked for the 5 October position" and answers yes
    Then 2015-Q4 holds postings of -5600.00 for dwp and -1400.00 for topup
    And the run and the audit log keep the reason "payer asked for the 5 October position"

  Scenario: A quarter after the contract ended is refused with the contract's quarters
    When the operator reconciles 2019-Q1
    Then the operator is told "its periods run from 2015-Q1 (service start 2015-01-01) to 2018-Q1"
    And nothing was written to the ledger
    And the list of periods ends at 2018-Q1

  Scenario: Evidence dated after the day it is sent is refused at the door, and never paid
    When a provider sends, on 2015-11-02, P4's job entry dated 2016-11-01
    Then the provider is told "achieved_on: 2016-11-01 is after today (2015-11-02, UTC)"
    When such evidence was stored all the same and verified
    And the intermediary reconciles 2016-Q4 as of 2017-01-05
    Then P4 has been paid nothing, because "achieved_after_submission"

  Scenario: Looking back at a participant shows only what the ledger knew then
    When the operator explains P2 as of 2015-10-15
    Then the explanation shows P2's evidence E2 but no posting
    When the operator explains P2 as of 2015-10-21
    Then the explanation shows 2 postings for P2
